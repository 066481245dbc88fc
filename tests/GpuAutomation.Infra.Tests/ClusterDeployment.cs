namespace GpuAutomation.Infra.Tests;

/// <summary>
/// One snapshot shared by the tests of a collection: a three-node cluster whose names mix upper and lower case, so
/// the queue-name derivation (lower-cased, per node) and the per-node role assignments are both exercised.
/// </summary>
public sealed class ClusterDeployment : IDisposable
{
    public static readonly TestCluster Cluster = new(
        "HCI-West",
        [
            ("Node-A", "a1a1a1a1-0000-4000-8000-00000000000a"),
            ("NODE-B", "b2b2b2b2-0000-4000-8000-00000000000b"),
            ("gpu3", "c3c3c3c3-0000-4000-8000-00000000000c"),
        ]);

    private readonly InfraFolder _folder = new();

    public ClusterDeployment()
    {
        Snapshot = DeploymentSnapshot.Of(_folder, Cluster);
    }

    public DeploymentSnapshot Snapshot { get; }

    public void Dispose() => _folder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ClusterDeploymentCollection : ICollectionFixture<ClusterDeployment>
{
    public const string Name = "cluster deployment";
}
