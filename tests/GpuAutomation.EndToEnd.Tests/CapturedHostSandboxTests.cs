using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.HostRunner.Tools;
using GpuAutomation.Sandbox;
using GpuAutomation.Sandbox.Composition;
using GpuAutomation.Sandbox.Scenario;
using GpuAutomation.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.EndToEnd.Tests;

/// <summary>A host captured with <c>HostRunner capture --redact</c> runs in the Sandbox as its <c>--cluster-file</c>.</summary>
public sealed class CapturedHostSandboxTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "captured-" + Guid.NewGuid().ToString("N") + ".json");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public async Task The_sandbox_starts_with_a_redacted_capture_and_its_agent_reports_the_captured_node()
    {
        // The sample's node1 runs a VM holding a partition, so the reloaded node has assignments to report.
        var source = EmulatedCluster.Load(RepositoryPaths.Combine("src", "HostRunner", "Simulation", "Samples", "two-node-a2.json"));
        var node = source.Nodes[0];
        var captured = new CaptureRedaction().Redact(await new HostCapture(source.HostFor(node)).ReadAsync(CancellationToken.None));
        await File.WriteAllTextAsync(_file, HostCapture.Serialize(captured));
        var expected = captured.Nodes.Single();

        await using var sandbox = await SandboxSystem.StartAsync(new SandboxOptions(Port: 0, ClusterFile: _file), NullLoggerFactory.Instance, CancellationToken.None);
        using var http = new HttpClient { BaseAddress = sandbox.BaseAddress };
        var api = new ControlPlaneClient(http);
        var inventory = await Eventually.WaitAsync(
            async () => await api.GetInventoryAsync(captured.Name!, CancellationToken.None) is { } view && view.Nodes.Contains(expected.Name) && view.Vms.Count == expected.Vms.Count ? view : null,
            TimeSpan.FromSeconds(60),
            () => $"node {expected.Name} of {captured.Name} in the Sandbox's inventory");

        Assert.Equal([expected.Name], inventory.Nodes);
        Assert.Equal(expected.Vms.Select(v => v.Name).Order(), inventory.Vms.Select(v => v.Name).Order());
        Assert.Equal(1, expected.Vms.Count(v => v.HasPartition));
        Assert.Equal(1, inventory.Vms.Sum(v => v.Partitions));
        // Display devices that are no partitionable GPU (the sample's BMC VGA) are listed too, as the source host lists them.
        var sourceInventory = await source.HostFor(node).Inventory.ReadAsync(CancellationToken.None);
        Assert.Equal(sourceInventory.Gpus.Select(g => g.PartitionCount), inventory.Gpus.Select(g => g.PartitionCount));
    }
}
