using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Tests.HyperV;

public sealed class GpuPartitionAdaptersTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static readonly PartitionValues Custom = new(
        new PartitionRange(1, 2, 3), new PartitionRange(4, 5, 6), new PartitionRange(7, 8, 9), new PartitionRange(10, 11, 12));

    [Fact]
    public async Task Lists_an_adapter_with_its_partition_on_the_gpu()
    {
        var cluster = Emulator.Cluster();
        var adapters = await Emulator.Host(cluster).Adapters.ListAsync(Emulator.Vm1, None);

        var adapter = Assert.Single(adapters);
        Assert.StartsWith($"Microsoft:{Emulator.Vm1.ToString("D").ToUpperInvariant()}", adapter.AdapterId, StringComparison.Ordinal);
        Assert.Equal(Emulator.GpuPath(cluster, "node1", 0), adapter.Device?.GpuInstancePath);
        Assert.Equal(0, adapter.Device?.PartitionId);
        Assert.False(string.IsNullOrEmpty(adapter.Device?.PartitionVfLuid));
        var contract = adapter.ToContract();
        Assert.Equal(new PartitionAdapter(adapter.AdapterId, adapter.Device!.GpuInstancePath, 0, adapter.Device.PartitionVfLuid), contract);
    }

    [Fact]
    public async Task Adds_an_adapter_on_a_chosen_gpu_with_its_twelve_values_and_host_resource()
    {
        var cluster = Emulator.Cluster();
        var gpu = Emulator.GpuPath(cluster, "node1", 1);
        var progress = new List<int>();

        var adapter = await Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, gpu, null, new SyncProgress(progress), None);

        Assert.Equal(gpu, adapter.Device?.GpuInstancePath);
        Assert.Equal(0, adapter.Device?.PartitionId);
        Assert.Equal(250_000_000UL, adapter.Values.Vram.Optimal);
        Assert.Equal(ulong.MaxValue / 4, adapter.Values.Encode.Max);
        Assert.NotNull(adapter.RequestedGpuPath);
        Assert.Equal(gpu, CimInstancePath.Parse(adapter.RequestedGpuPath!).KeyValue("Name"));
        Assert.Equal(100, progress[^1]);
        var state = cluster.Vm(Emulator.Vm2);
        Assert.Equal(gpu, state.PartitionGpu);
        Assert.Equal(12, state.AdapterValues.Count);
        Assert.Equal(1, cluster.Gpus("node1")[1].AssignedPartitions);
    }

    [Fact]
    public async Task Adds_an_adapter_with_explicit_values_letting_hyper_v_pick_the_gpu()
    {
        var cluster = Emulator.Cluster();

        var adapter = await Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, null, Custom, null, None);

        Assert.Equal(Custom, adapter.Values);
        Assert.Null(adapter.RequestedGpuPath);
        Assert.Equal(Emulator.GpuPath(cluster, "node1", 0), adapter.Device?.GpuInstancePath);
        Assert.Equal(1, adapter.Device?.PartitionId);
        Assert.Equal(12UL, cluster.Vm(Emulator.Vm2).AdapterValues["OptimalPartitionCompute"]);
    }

    [Fact]
    public async Task Without_a_chosen_gpu_the_partition_comes_from_a_gpu_that_has_one_free()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        var first = Emulator.GpuPath(cluster, "node1", 0);
        for (var i = 0; i < 3; i++)
        {
            await host.Adapters.AddAsync(cluster.AddVm("node1", new($"fill-{i}")), first, null, null, None);
        }

        var adapter = await host.Adapters.AddAsync(Emulator.Vm2, null, null, null, None);

        Assert.Equal(Emulator.GpuPath(cluster, "node1", 1), adapter.Device?.GpuInstancePath);
        Assert.Equal(4, cluster.Gpus("node1")[0].AssignedPartitions);
    }

    [Fact]
    public async Task Adding_to_a_vm_that_is_not_off_is_refused_and_changes_nothing()
    {
        var cluster = Emulator.Cluster();
        cluster.SetPowerState(Emulator.Vm2, VmPowerState.Saved);

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, null, null, null, None));

        Assert.Equal(CimErrors.VmNotOff, error.Code);
        Assert.Contains("Saved", error.Message, StringComparison.Ordinal);
        Assert.Null(cluster.Vm(Emulator.Vm2).AdapterId);
    }

    [Fact]
    public async Task A_second_partition_on_a_vm_is_refused()
    {
        var cluster = Emulator.Cluster();
        cluster.SetPowerState(Emulator.Vm1, VmPowerState.Off);

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm1, null, null, null, None));

        Assert.Equal(CimErrors.VmHasPartition, error.Code);
    }

    [Fact]
    public async Task No_free_partition_on_the_chosen_gpu_or_the_host_is_refused()
    {
        var cluster = Emulator.Cluster();
        var node2 = Emulator.Host(cluster, "node2");
        var gpu = Emulator.GpuPath(cluster, "node2", 0);
        var ids = Enumerable.Range(0, 3).Select(i => cluster.AddVm("node2", new($"n2-{i}"))).ToList();
        await node2.Adapters.AddAsync(ids[0], gpu, null, null, None);
        await node2.Adapters.AddAsync(ids[1], null, null, null, None);

        var onGpu = await Assert.ThrowsAsync<CimException>(() => node2.Adapters.AddAsync(ids[2], gpu, null, null, None));
        var onHost = await Assert.ThrowsAsync<CimException>(() => node2.Adapters.AddAsync(ids[2], null, null, null, None));

        Assert.Equal(CimErrors.NoFreePartition, onGpu.Code);
        Assert.Equal(CimErrors.NoFreePartition, onHost.Code);
        Assert.Null(cluster.Vm(ids[2]).AdapterId);
    }

    [Fact]
    public async Task A_gpu_used_for_dda_is_refused()
    {
        var cluster = Emulator.Cluster();
        var dda = Emulator.GpuPath(cluster, "node1", 2);

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, dda, null, null, None));

        Assert.Equal(CimErrors.GpuNotFound, error.Code);
        Assert.Contains("DDA", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_emulator_refuses_raw_adds_like_hyper_v()
    {
        var cluster = Emulator.Cluster();
        var cim = cluster.ClientFor("node1");
        var host = Emulator.Host(cluster);
        var service = await new ManagementService(cim).GetPathAsync(None);
        var template = (await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.GpuPartitionSettingData, Wql.EndsWith("InstanceID", @"\Default")), None)).Single();

        async Task<CimMethodResult> Add(Guid vm, CimInstance settings)
            => await cim.InvokeMethodAsync(service, "AddResourceSettings", new Dictionary<string, CimValue?>
            {
                ["AffectedConfiguration"] = new CimValue.Reference((await host.Vms.GetRealizedSettingsAsync(vm, None)).Path),
                ["ResourceSettings"] = new CimValue.TextArray([CimXml.Write(settings)]),
            }, None);

        // Running VM: invalid state (5).
        Assert.Equal(HyperVReturnCodes.InvalidState, (await Add(Emulator.Vm1, template)).ReturnValue);

        // HostResource holding the GPU's Name instead of its object path: the job fails like Hyper-V's does.
        var byName = await Add(Emulator.Vm2, template.With("HostResource", new CimValue.TextArray([Emulator.GpuPath(cluster, "node1", 1)])));
        var nameError = await Assert.ThrowsAsync<CimException>(() => host.Jobs.CompleteAsync(byName, "add", null, None));
        Assert.Equal(CimErrors.JobFailed, nameError.Code);
        Assert.Contains("Failed to add device 'GPU Partition'", nameError.Message, StringComparison.Ordinal);

        // An object path naming the DDA GPU: the job fails.
        var ddaPath = new CimInstancePath(CimNamespaces.Virtualization, HyperVClasses.PartitionableGpu, [new("CreationClassName", HyperVClasses.PartitionableGpu), new("Name", Emulator.GpuPath(cluster, "node1", 2))]);
        var dda = await Add(Emulator.Vm2, template.With("HostResource", new CimValue.TextArray([ddaPath.ToWmiPath()])));
        var ddaError = await Assert.ThrowsAsync<CimException>(() => host.Jobs.CompleteAsync(dda, "add", null, None));
        Assert.Contains("DDA", ddaError.Message, StringComparison.Ordinal);

        // A second adapter: the job fails.
        await host.Jobs.CompleteAsync(await Add(Emulator.Vm2, template), "add", null, None);
        var second = await Add(Emulator.Vm2, template);
        Assert.Equal(CimErrors.JobFailed, (await Assert.ThrowsAsync<CimException>(() => host.Jobs.CompleteAsync(second, "add", null, None))).Code);

        // Something that is not a GPU partition: not supported (1).
        var other = new CimInstance(CimNamespaces.Virtualization, "Msvm_SyntheticEthernetPortSettingData", [new("InstanceID", new CimValue.Text("x"))], ["InstanceID"]);
        Assert.Equal(HyperVReturnCodes.NotSupported, (await Add(Emulator.Vm3, other)).ReturnValue);
        Assert.Equal(1, cluster.Vms("node1").Count(v => v.AdapterId is not null) - 1);
    }

    [Fact]
    public async Task Removes_an_adapter_from_an_off_vm_and_frees_its_partition()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        cluster.SetPowerState(Emulator.Vm1, VmPowerState.Off);
        var adapter = (await host.Adapters.ListAsync(Emulator.Vm1, None)).Single();

        await host.Adapters.RemoveAsync(Emulator.Vm1, adapter.AdapterId, null, None);

        Assert.Empty(await host.Adapters.ListAsync(Emulator.Vm1, None));
        Assert.Equal(0, cluster.Gpus("node1")[0].AssignedPartitions);
    }

    [Fact]
    public async Task Removing_from_a_running_vm_or_an_unknown_adapter_is_refused()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        var adapter = (await host.Adapters.ListAsync(Emulator.Vm1, None)).Single();

        var running = await Assert.ThrowsAsync<CimException>(() => host.Adapters.RemoveAsync(Emulator.Vm1, adapter.AdapterId, null, None));
        cluster.SetPowerState(Emulator.Vm1, VmPowerState.Off);
        var unknown = await Assert.ThrowsAsync<CimException>(() => host.Adapters.RemoveAsync(Emulator.Vm1, "Microsoft:nope", null, None));

        Assert.Equal(CimErrors.VmNotOff, running.Code);
        Assert.Equal(CimErrors.AdapterNotFound, unknown.Code);
        Assert.NotNull(cluster.Vm(Emulator.Vm1).AdapterId);
    }

    [Fact]
    public async Task The_emulator_refuses_a_raw_remove_on_a_running_vm_with_invalid_state()
    {
        var cluster = Emulator.Cluster();
        var cim = cluster.ClientFor("node1");
        var adapter = (await Emulator.Host(cluster).Adapters.ListAsync(Emulator.Vm1, None)).Single();

        var result = await cim.InvokeMethodAsync(
            await new ManagementService(cim).GetPathAsync(None),
            "RemoveResourceSettings",
            new Dictionary<string, CimValue?> { ["ResourceSettings"] = new CimValue.ReferenceArray([adapter.Settings.Path]) },
            None);

        Assert.Equal(HyperVReturnCodes.InvalidState, result.ReturnValue);
    }

    [Fact]
    public async Task Modifies_all_twelve_values_of_an_adapter()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        cluster.SetPowerState(Emulator.Vm1, VmPowerState.Off);
        var adapter = (await host.Adapters.ListAsync(Emulator.Vm1, None)).Single();

        await host.Adapters.ModifyAsync(Emulator.Vm1, adapter.AdapterId, Custom, null, None);

        Assert.Equal(Custom, (await host.Adapters.ListAsync(Emulator.Vm1, None)).Single().Values);
    }

    [Fact]
    public async Task Sets_and_reads_back_gpu_memory_settings()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);

        await host.Adapters.SetMemorySettingsAsync(Emulator.Vm2, new VmGpuMemorySettings(true, 1024, 32768), None);

        Assert.Equal(new VmGpuMemorySettings(true, 1024, 32768), await host.Adapters.GetMemorySettingsAsync(Emulator.Vm2, None));
        var state = cluster.Vm(Emulator.Vm2);
        Assert.True(state.GuestControlledCacheTypes);
        Assert.Equal(1024UL, state.LowMmioGapMb);
    }

    [Fact]
    public async Task An_out_of_range_low_mmio_gap_or_a_running_vm_is_refused()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);

        var range = await Assert.ThrowsAsync<CimException>(() => host.Adapters.SetMemorySettingsAsync(Emulator.Vm2, new VmGpuMemorySettings(LowMmioGapMb: 4096), None));
        var running = await Assert.ThrowsAsync<CimException>(() => host.Adapters.SetMemorySettingsAsync(Emulator.Vm1, new VmGpuMemorySettings(true), None));

        Assert.Equal(CimErrors.InvalidMmio, range.Code);
        Assert.Equal(CimErrors.VmNotOff, running.Code);
        Assert.False(cluster.Vm(Emulator.Vm1).GuestControlledCacheTypes);
    }

    private sealed class SyncProgress(List<int> values) : IProgress<int>
    {
        public void Report(int value) => values.Add(value);
    }
}
