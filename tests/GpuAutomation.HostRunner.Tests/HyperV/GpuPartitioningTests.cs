using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace GpuAutomation.HostRunner.Tests.HyperV;

public sealed class GpuPartitioningTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Available_follows_running_vms_not_assigned_adapters()
    {
        // "This value changes as vGPUs start and stop running" (DXGK_VGPU_PROFILE_CAPABILITY; audit E4).
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        Assert.Equal(12UL << 30, (await host.Gpus.ListAsync(None))[0].Resources.Vram.Available);

        cluster.SetPowerState(Emulator.Vm1, Contracts.Inventory.VmPowerState.Off);

        Assert.Equal(16UL << 30, (await host.Gpus.ListAsync(None))[0].Resources.Vram.Available);
        Assert.Equal(1, cluster.Gpus("node1")[0].AssignedPartitions);
    }

    [Fact]
    public async Task A_count_write_sends_only_partition_count_and_a_rebuilt_instance_is_refused()
    {
        // Microsoft's client writes the changed property only (audit row 9); the emulator refuses read-only ones.
        var cluster = Emulator.Cluster();
        var cim = cluster.ClientFor("node1");
        var read = (await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.PartitionableGpu), None))[1];
        var rebuilt = read.Properties.Aggregate(read, (i, p) => i.With(p.Key, p.Value)).With("PartitionCount", new CimValue.UInt16(8));

        var error = await Assert.ThrowsAsync<CimException>(() => cim.ModifyInstanceAsync(rebuilt, None));
        Assert.Equal(CimErrors.InvalidParameter, error.Code);

        var sent = read.With("PartitionCount", new CimValue.UInt16(8)).ForModify();
        Assert.Equal(["CreationClassName", "Name", "PartitionCount"], sent.Properties.Keys.Order(StringComparer.Ordinal));
        Assert.True(await Emulator.Host(cluster).Gpus.SetPartitionCountAsync(read.RequireString("Name"), 8, None));
        Assert.Equal(8, cluster.Gpus("node1")[1].PartitionCount);
    }

    [Fact]
    public async Task Lists_partitionable_gpus_with_every_property_and_leaves_out_a_dda_gpu()
    {
        var cluster = Emulator.Cluster();
        var gpus = await Emulator.Host(cluster).Gpus.ListAsync(None);

        Assert.Equal(2, gpus.Count);
        var first = gpus.Single(g => g.Name == Emulator.GpuPath(cluster, "node1", 0));
        Assert.Equal([16, 8, 4, 2, 1], first.ValidPartitionCounts);
        Assert.Equal(4, first.PartitionCount);
        Assert.StartsWith(@"\\?\PCI#VEN_10DE&DEV_25B6", first.Name, StringComparison.Ordinal);
        Assert.Equal(16UL << 30, first.Resources.Vram.Total);
        Assert.Equal(4UL << 30, first.Resources.Vram.OptimalPartition);
        Assert.Equal(250_000_000UL, first.Resources.Compute.MaxPartition);
        Assert.Equal(ulong.MaxValue, first.Resources.Encode.Total);
        Assert.Equal(ulong.MaxValue / 4, first.Resources.Encode.MinPartition);
        // vm1 holds one partition of the first GPU.
        Assert.Equal(12UL << 30, first.Resources.Vram.Available);
        Assert.Equal(750_000_000UL, first.Resources.Decode.Available);
    }

    [Fact]
    public async Task Setting_a_valid_count_on_a_gpu_without_assignments_changes_it_once()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        var path = Emulator.GpuPath(cluster, "node1", 1);

        Assert.True(await host.Gpus.SetPartitionCountAsync(path, 8, None));
        Assert.False(await host.Gpus.SetPartitionCountAsync(path, 8, None));

        Assert.Equal(8, cluster.Gpus("node1")[1].PartitionCount);
        Assert.Equal(8, (await host.Gpus.GetAsync(path, None)).PartitionCount);
    }

    [Fact]
    public async Task A_count_outside_the_valid_set_is_refused_naming_the_valid_counts()
    {
        var cluster = Emulator.Cluster();
        var path = Emulator.GpuPath(cluster, "node1", 1);

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Gpus.SetPartitionCountAsync(path, 5, None));

        Assert.Equal(CimErrors.InvalidPartitionCount, error.Code);
        Assert.Contains("5 is not one of the valid counts 16, 8, 4, 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, cluster.Gpus("node1")[1].PartitionCount);
    }

    [Fact]
    public async Task Changing_the_count_while_a_partition_is_assigned_is_refused()
    {
        var cluster = Emulator.Cluster();
        var path = Emulator.GpuPath(cluster, "node1", 0);

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Gpus.SetPartitionCountAsync(path, 8, None));

        Assert.Equal(CimErrors.PartitionsAssigned, error.Code);
        Assert.Contains(Emulator.Vm1.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Equal(4, cluster.Gpus("node1")[0].PartitionCount);
    }

    [Fact]
    public async Task The_emulator_itself_refuses_invalid_counts_and_changes_with_assignments()
    {
        var cluster = Emulator.Cluster();
        var cim = cluster.ClientFor("node1");
        var gpus = await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.PartitionableGpu), None);
        var held = gpus.Single(g => g.GetString("Name") == Emulator.GpuPath(cluster, "node1", 0));
        var free = gpus.Single(g => g.GetString("Name") == Emulator.GpuPath(cluster, "node1", 1));

        var invalid = await Assert.ThrowsAsync<CimException>(() => cim.ModifyInstanceAsync(free.With("PartitionCount", new CimValue.UInt16(3)), None));
        var assigned = await Assert.ThrowsAsync<CimException>(() => cim.ModifyInstanceAsync(held.With("PartitionCount", new CimValue.UInt16(8)), None));
        var readOnly = await Assert.ThrowsAsync<CimException>(() => cim.ModifyInstanceAsync(free.With("TotalVRAM", new CimValue.UInt64(1)), None));

        Assert.Equal(CimErrors.InvalidParameter, invalid.Code);
        Assert.Equal(CimErrors.Failed, assigned.Code);
        Assert.Equal(CimErrors.InvalidParameter, readOnly.Code);
    }

    [Fact]
    public async Task When_the_write_fails_and_partitions_appeared_meanwhile_the_error_says_so()
    {
        // Fake time holds the slowed write until the partition has been added; jobs with no delay need no time to pass.
        var time = new FakeTimeProvider();
        var cluster = Emulator.Cluster(time: time);
        var path = Emulator.GpuPath(cluster, "node1", 1);
        cluster.Faults.Add(new EmulatedFault("ModifyInstance", EmulatedFaultKind.Slow, Delay: TimeSpan.FromSeconds(1)));
        var host = Emulator.Host(cluster);

        var change = host.Gpus.SetPartitionCountAsync(path, 8, None);
        await Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, path, null, None);
        Assert.False(change.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<CimException>(() => change);
        Assert.Equal(CimErrors.PartitionsAssigned, error.Code);
    }

    [Fact]
    public async Task An_unknown_or_dda_gpu_is_not_found()
    {
        var cluster = Emulator.Cluster();
        var dda = Emulator.GpuPath(cluster, "node1", 2);

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Gpus.SetPartitionCountAsync(dda, 8, None));

        Assert.Equal(CimErrors.GpuNotFound, error.Code);
    }
}
