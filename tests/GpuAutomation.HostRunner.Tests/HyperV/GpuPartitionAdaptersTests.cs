using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;

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
    public async Task Adds_the_default_template_unchanged_on_a_chosen_gpu_leaving_the_twelve_values_null()
    {
        // Add-VMGpuPartitionAdapter without sizes: the template's NULLs go as they are, with HostResource only.
        var cluster = Emulator.Cluster();
        var gpu = Emulator.GpuPath(cluster, "node1", 1);

        var adapter = await Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, gpu, null, None);

        Assert.Equal(gpu, adapter.Device?.GpuInstancePath);
        Assert.Equal(0, adapter.Device?.PartitionId);
        Assert.Null(adapter.Values);
        Assert.NotNull(adapter.RequestedGpuPath);
        Assert.Equal(gpu, CimInstancePath.Parse(adapter.RequestedGpuPath!).KeyValue("Name"));
        var state = cluster.Vm(Emulator.Vm2);
        Assert.Equal(gpu, state.PartitionGpu);
        Assert.Empty(state.AdapterValues);
        Assert.Equal(1, cluster.Gpus("node1")[1].AssignedPartitions);
    }

    [Fact]
    public async Task A_zero_partition_value_is_never_written()
    {
        var cluster = Emulator.Cluster();
        var zero = Custom with { Vram = new PartitionRange(0, 2, 3) };

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, null, zero, None));

        Assert.Equal(CimErrors.InvalidParameter, error.Code);
        Assert.Contains("MinPartitionVRAM", error.Message, StringComparison.Ordinal);
        Assert.Null(cluster.Vm(Emulator.Vm2).AdapterId);
    }

    [Fact]
    public async Task The_default_template_is_reached_through_the_primordial_pool_and_its_capabilities()
    {
        // The LIKE query fails here, so only the pool → capabilities → Default path can find the template.
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("Query", EmulatedFaultKind.Fail, ClassName: HyperVClasses.GpuPartitionSettingData));

        var template = await Emulator.Host(cluster).Adapters.GetTemplateAsync(None);

        Assert.EndsWith(@"\Default", template.RequireString("InstanceID"), StringComparison.Ordinal);
        Assert.All(HyperVClasses.PartitionValueProperties, n => Assert.Null(template.Get(n)));
        Assert.All(HyperVClasses.PartitionValueProperties, n => Assert.Equal(CimType.UInt64, template.TypeOf(n)));
    }

    [Fact]
    public async Task Without_the_resource_pool_the_like_query_still_finds_the_default_template()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("Query", EmulatedFaultKind.Fail, ClassName: HyperVClasses.ResourcePool));

        var adapter = await Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, null, null, None);

        Assert.NotNull(cluster.Vm(Emulator.Vm2).AdapterId);
        Assert.Null(adapter.Values);
    }

    [Fact]
    public async Task Sizes_asked_for_are_set_after_the_add_with_modify_resource_settings()
    {
        var cluster = Emulator.Cluster();

        var adapter = await Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, null, Custom, None);

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
            await host.Adapters.AddAsync(cluster.AddVm("node1", new($"fill-{i}")), first, null, None);
        }

        var adapter = await host.Adapters.AddAsync(Emulator.Vm2, null, null, None);

        Assert.Equal(Emulator.GpuPath(cluster, "node1", 1), adapter.Device?.GpuInstancePath);
        Assert.Equal(4, cluster.Gpus("node1")[0].AssignedPartitions);
    }

    [Fact]
    public async Task Adding_to_a_vm_that_is_not_off_is_refused_and_changes_nothing()
    {
        var cluster = Emulator.Cluster();
        cluster.SetPowerState(Emulator.Vm2, VmPowerState.Saved);

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, null, null, None));

        Assert.Equal(CimErrors.VmNotOff, error.Code);
        Assert.Contains("Saved", error.Message, StringComparison.Ordinal);
        Assert.Null(cluster.Vm(Emulator.Vm2).AdapterId);
    }

    [Fact]
    public async Task A_second_partition_on_a_vm_is_refused()
    {
        var cluster = Emulator.Cluster();
        cluster.SetPowerState(Emulator.Vm1, VmPowerState.Off);

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm1, null, null, None));

        Assert.Equal(CimErrors.VmHasPartition, error.Code);
    }

    [Fact]
    public async Task No_free_partition_on_the_chosen_gpu_or_the_host_is_refused()
    {
        var cluster = Emulator.Cluster();
        var node2 = Emulator.Host(cluster, "node2");
        var gpu = Emulator.GpuPath(cluster, "node2", 0);
        var ids = Enumerable.Range(0, 3).Select(i => cluster.AddVm("node2", new($"n2-{i}"))).ToList();
        await node2.Adapters.AddAsync(ids[0], gpu, null, None);
        await node2.Adapters.AddAsync(ids[1], null, null, None);

        var onGpu = await Assert.ThrowsAsync<CimException>(() => node2.Adapters.AddAsync(ids[2], gpu, null, None));
        var onHost = await Assert.ThrowsAsync<CimException>(() => node2.Adapters.AddAsync(ids[2], null, null, None));

        Assert.Equal(CimErrors.NoFreePartition, onGpu.Code);
        Assert.Equal(CimErrors.NoFreePartition, onHost.Code);
        Assert.Null(cluster.Vm(ids[2]).AdapterId);
    }

    [Fact]
    public async Task A_gpu_used_for_dda_is_refused()
    {
        var cluster = Emulator.Cluster();
        var dda = Emulator.GpuPath(cluster, "node1", 2);

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, dda, null, None));

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

        // Values sent with the add: the job fails with 32773, as on a real host (audit E6).
        var sized = await Add(Emulator.Vm2, template.With("MaxPartitionVRAM", new CimValue.UInt64(1_000_000_000)));
        var sizedError = await Assert.ThrowsAsync<CimException>(() => host.Jobs.CompleteAsync(sized, "add", None));
        Assert.Equal(32773u, sizedError.NativeCode);

        // A NULL uint64 sent as a string (the hand-written CIM-XML's old mistake): invalid parameter.
        var mistyped = template with { DeclaredTypes = template.DeclaredTypes.SetItem("MinPartitionVRAM", CimType.String) };
        Assert.Equal(HyperVReturnCodes.InvalidParameter, (await Add(Emulator.Vm2, mistyped)).ReturnValue);
        Assert.Null(cluster.Vm(Emulator.Vm2).AdapterId);

        // HostResource holding the GPU's Name instead of its object path: the job fails like Hyper-V's does.
        var byName = await Add(Emulator.Vm2, template.With("HostResource", new CimValue.TextArray([Emulator.GpuPath(cluster, "node1", 1)])));
        var nameError = await Assert.ThrowsAsync<CimException>(() => host.Jobs.CompleteAsync(byName, "add", None));
        Assert.Equal(CimErrors.JobFailed, nameError.Code);
        Assert.Contains("Failed to add device 'GPU Partition'", nameError.Message, StringComparison.Ordinal);

        // An object path naming the DDA GPU: the job fails.
        var ddaPath = new CimInstancePath(CimNamespaces.Virtualization, HyperVClasses.PartitionableGpu, [new("CreationClassName", HyperVClasses.PartitionableGpu), new("Name", Emulator.GpuPath(cluster, "node1", 2))]);
        var dda = await Add(Emulator.Vm2, template.With("HostResource", new CimValue.TextArray([ddaPath.ToWmiPath()])));
        var ddaError = await Assert.ThrowsAsync<CimException>(() => host.Jobs.CompleteAsync(dda, "add", None));
        Assert.Contains("DDA", ddaError.Message, StringComparison.Ordinal);

        // A second adapter: the job fails.
        await host.Jobs.CompleteAsync(await Add(Emulator.Vm2, template), "add", None);
        var second = await Add(Emulator.Vm2, template);
        Assert.Equal(CimErrors.JobFailed, (await Assert.ThrowsAsync<CimException>(() => host.Jobs.CompleteAsync(second, "add", None))).Code);

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

        await host.Adapters.RemoveAsync(Emulator.Vm1, adapter.AdapterId, None);

        Assert.Empty(await host.Adapters.ListAsync(Emulator.Vm1, None));
        Assert.Equal(0, cluster.Gpus("node1")[0].AssignedPartitions);
    }

    [Fact]
    public async Task Removing_from_a_running_vm_or_an_unknown_adapter_is_refused()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        var adapter = (await host.Adapters.ListAsync(Emulator.Vm1, None)).Single();

        var running = await Assert.ThrowsAsync<CimException>(() => host.Adapters.RemoveAsync(Emulator.Vm1, adapter.AdapterId, None));
        cluster.SetPowerState(Emulator.Vm1, VmPowerState.Off);
        var unknown = await Assert.ThrowsAsync<CimException>(() => host.Adapters.RemoveAsync(Emulator.Vm1, "Microsoft:nope", None));

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

        await host.Adapters.ModifyAsync(Emulator.Vm1, adapter.AdapterId, Custom, None);

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
    public async Task Ensuring_gpu_vm_settings_only_raises_values_and_is_a_no_op_once_they_hold()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        await host.Adapters.SetMemorySettingsAsync(Emulator.Vm2, new VmGpuMemorySettings(false, 512, 65536), None);

        var written = await host.Adapters.EnsureMemorySettingsAsync(Emulator.Vm2, new VmGpuMemorySettings(true, 1024, 32768), None);
        var again = await host.Adapters.EnsureMemorySettingsAsync(Emulator.Vm2, new VmGpuMemorySettings(true, 1024, 32768), None);

        Assert.Equal(new VmGpuMemorySettings(true, 1024, null), written);
        Assert.Null(again);
        Assert.Equal(new VmGpuMemorySettings(true, 1024, 65536), await host.Adapters.GetMemorySettingsAsync(Emulator.Vm2, None));
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
}
