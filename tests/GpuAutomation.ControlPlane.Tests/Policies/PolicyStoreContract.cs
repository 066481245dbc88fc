using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.Functions.Policies;
using GpuAutomation.Functions.Storage;

namespace GpuAutomation.ControlPlane.Tests.Policies;

public abstract class PolicyStoreContract
{
    private protected abstract IRecordTableSource CreateTables();

    [Fact]
    public async Task A_policy_change_from_a_stale_read_is_refused_and_the_first_writer_wins()
    {
        var store = new PolicyStore(CreateTables());
        Assert.Null(await store.GetAsync("clus1", default));
        var initial = new ClusterPolicy("clus1", 4, AutoProvision: true, "gpu: yes", AutoRemediate: false, Sample.Start, "alice");
        await store.SaveAsync(initial, null, default);
        await Assert.ThrowsAsync<StoreException>(() => store.SaveAsync(initial with { UpdatedBy = "racer" }, null, default));

        var aliceRead = (await store.GetAsync("CLUS1", default))!;
        var bobRead = (await store.GetAsync("clus1", default))!;
        Assert.Equal(initial, aliceRead.Policy);

        await store.SaveAsync(aliceRead.Policy with { DesiredPartitionCount = 8, UpdatedBy = "alice" }, aliceRead.ETag, default);
        var conflict = await Assert.ThrowsAsync<StoreException>(() => store.SaveAsync(bobRead.Policy with { AutoRemediate = true, UpdatedBy = "bob" }, bobRead.ETag, default));

        Assert.Equal(StoreErrors.ETagMismatch, conflict.Code);
        var stored = (await store.GetAsync("clus1", default))!.Policy;
        Assert.Equal(8, stored.DesiredPartitionCount);
        Assert.False(stored.AutoRemediate);
    }
}

public sealed class InMemoryPolicyStoreTests : PolicyStoreContract
{
    private protected override IRecordTableSource CreateTables() => Backends.InMemory();
}

public sealed class TableStoragePolicyStoreTests : PolicyStoreContract
{
    private protected override IRecordTableSource CreateTables() => Backends.Azurite();
}
