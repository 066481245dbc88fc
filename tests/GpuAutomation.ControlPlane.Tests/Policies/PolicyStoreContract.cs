using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Tests.Policies;

public abstract class PolicyStoreContract
{
    private protected abstract IRecordTableSource CreateTables();

    [Fact]
    public async Task A_policy_change_from_a_stale_read_is_refused_and_the_first_writer_wins()
    {
        var store = new PolicyStore(CreateTables());
        Assert.Null(await store.GetAsync("clus1", default));
        Assert.Same(ProvisioningPolicy.Default, await store.GetEffectiveAsync("clus1", default));
        var initial = new ProvisioningPolicy([new ProvisioningRule("gpu", NamePattern: "gpu-*")]);
        await store.SaveAsync("clus1", initial, Sample.Start, "alice", null, default);
        await Assert.ThrowsAsync<StoreException>(() => store.SaveAsync("clus1", initial, Sample.Start, "racer", null, default));

        var aliceRead = (await store.GetAsync("CLUS1", default))!;
        var bobRead = (await store.GetAsync("clus1", default))!;
        Assert.Equal("gpu-*", Assert.Single(aliceRead.Policy.Rules).NamePattern);
        Assert.Equal("alice", aliceRead.UpdatedBy);

        await store.SaveAsync("clus1", aliceRead.Policy with { StaleInventoryAfterMinutes = 45 }, Sample.Start.AddMinutes(1), "alice", aliceRead.ETag, default);
        var conflict = await Assert.ThrowsAsync<StoreException>(
            () => store.SaveAsync("clus1", bobRead.Policy with { Rules = [] }, Sample.Start.AddMinutes(2), "bob", bobRead.ETag, default));

        Assert.Equal(StoreErrors.ETagMismatch, conflict.Code);
        var stored = (await store.GetAsync("clus1", default))!;
        Assert.Equal(45, stored.Policy.StaleInventoryAfterMinutes);
        Assert.Single(stored.Policy.Rules);
        Assert.Equal(Sample.Start.AddMinutes(1), stored.UpdatedAt);
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
