using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tests.Cluster;

public sealed class ClusterResourcesTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Finds_the_virtual_machine_resource_of_a_clustered_vm()
    {
        var resource = await Emulator.Host(Emulator.Cluster()).Cluster.FindVmResourceAsync(Emulator.Vm1, "vm1", None);

        Assert.NotNull(resource);
        Assert.Equal("Virtual Machine vm1", resource.Name);
        Assert.Equal("vm1", resource.OwnerGroup);
        Assert.Equal("node1", resource.OwnerNode);
        Assert.Equal(OfflineAction.ForceShutdown, resource.OfflineAction);
        Assert.Equal(ClusterVmResource.Online, resource.State);
    }

    [Fact]
    public async Task A_vm_that_is_not_clustered_has_no_resource_and_setting_its_offline_action_is_refused()
    {
        var host = Emulator.Host(Emulator.Cluster());

        Assert.Null(await host.Cluster.FindVmResourceAsync(Emulator.Vm3, "vm3", None));
        Assert.False(await host.Cluster.IsVmClusteredAsync(Emulator.Vm3, "vm3", None));
        Assert.True(await host.Cluster.IsVmClusteredAsync(Emulator.Vm2, "vm2", None));
        var error = await Assert.ThrowsAsync<CimException>(() => host.Cluster.SetOfflineActionAsync(Emulator.Vm3, "vm3", OfflineAction.ForceShutdown, None));
        Assert.Equal(CimErrors.ClusterResourceNotFound, error.Code);
    }

    [Fact]
    public async Task A_standalone_host_is_not_clustered()
    {
        var host = Emulator.Host(Emulator.Cluster(name: null));

        Assert.False(await host.Cluster.IsNodeClusteredAsync(None));
        Assert.Null(await host.Cluster.FindVmResourceAsync(Emulator.Vm1, "vm1", None));
        Assert.True(await Emulator.Host(Emulator.Cluster()).Cluster.IsNodeClusteredAsync(None));
    }

    [Fact]
    public async Task Sets_offline_action_on_an_offline_resource()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);

        Assert.True(await host.Cluster.SetOfflineActionAsync(Emulator.Vm2, "vm2", OfflineAction.ForceShutdown, None));
        Assert.False(await host.Cluster.SetOfflineActionAsync(Emulator.Vm2, "vm2", OfflineAction.ForceShutdown, None));

        Assert.Equal(OfflineAction.ForceShutdown, cluster.Vm(Emulator.Vm2).OfflineAction);
    }

    [Theory]
    [InlineData(PropertiesStoredSurface.Win32Code)]
    [InlineData(PropertiesStoredSurface.HResult)]
    [InlineData(PropertiesStoredSurface.GenericFailure)]
    public async Task Properties_stored_in_any_form_or_a_write_error_after_which_the_value_holds_is_success(PropertiesStoredSurface surface)
    {
        // How WMI surfaces 0x13A0 is unconfirmed (audit row 50): 5024, 0x800713A0, or an error that says nothing.
        var cluster = Emulator.Cluster();
        cluster.SetOfflineAction(Emulator.Vm1, OfflineAction.Save);
        cluster.PropertiesStoredAs = surface;

        Assert.True(await Emulator.Host(cluster).Cluster.SetOfflineActionAsync(Emulator.Vm1, "vm1", OfflineAction.ForceShutdown, None));

        Assert.Equal(OfflineAction.ForceShutdown, cluster.Vm(Emulator.Vm1).OfflineAction);
    }

    [Fact]
    public async Task A_write_error_is_still_an_error_when_the_value_does_not_hold()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("ModifyInstance", EmulatedFaultKind.Fail, ClassName: ClusterResources.ResourceClass, Code: CimErrors.AccessDenied));

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Cluster.SetOfflineActionAsync(Emulator.Vm2, "vm2", OfflineAction.ForceShutdown, None));

        Assert.Equal(CimErrors.AccessDenied, error.Code);
        Assert.Equal(OfflineAction.Save, cluster.Vm(Emulator.Vm2).OfflineAction);
    }

    [Fact]
    public async Task The_write_sends_only_the_private_properties_and_the_emulator_refuses_a_rebuilt_resource()
    {
        var cluster = Emulator.Cluster();
        var cim = cluster.ClientFor("node1");
        var resource = await Emulator.Host(cluster).Cluster.FindVmResourceAsync(Emulator.Vm2, "vm2", None);
        var read = await cim.GetInstanceAsync(resource!.Path, None);

        // A rebuilt copy that also writes the cluster-owned State is refused.
        var rebuilt = read.With("State", read.Get("State")).With("PrivateProperties", read.Get("PrivateProperties"));
        Assert.Equal(CimErrors.InvalidParameter, (await Assert.ThrowsAsync<CimException>(() => cim.ModifyInstanceAsync(rebuilt, None))).Code);

        var sent = read.With("PrivateProperties", new CimValue.Instance(read.GetInstance("PrivateProperties")!.With("OfflineAction", new CimValue.UInt32(3)))).ForModify();
        Assert.Equal(["Name", "PrivateProperties"], sent.Properties.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(CimType.UInt32, sent.GetInstance("PrivateProperties")!.TypeOf("OfflineAction"));
    }

    [Fact]
    public async Task On_an_online_resource_properties_stored_counts_as_success()
    {
        var cluster = Emulator.Cluster();
        cluster.SetOfflineAction(Emulator.Vm1, OfflineAction.Save);
        var host = Emulator.Host(cluster);
        var resource = await host.Cluster.FindVmResourceAsync(Emulator.Vm1, "vm1", None);
        var read = await cluster.ClientFor("node1").GetInstanceAsync(resource!.Path, None);
        var raw = read.With("PrivateProperties", read.Get("PrivateProperties"));
        var rawError = await Assert.ThrowsAsync<CimException>(() => cluster.ClientFor("node1").ModifyInstanceAsync(raw, None));
        Assert.Equal(CimErrors.PropertiesStored, rawError.Code);
        Assert.Equal(0x13A0u, rawError.NativeCode);

        Assert.True(await host.Cluster.SetOfflineActionAsync(Emulator.Vm1, "vm1", OfflineAction.ForceShutdown, None));

        Assert.Equal(OfflineAction.ForceShutdown, cluster.Vm(Emulator.Vm1).OfflineAction);
    }

    [Fact]
    public async Task An_offline_action_outside_zero_to_three_is_refused_by_operations_and_emulator()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);
        var error = await Assert.ThrowsAsync<CimException>(() => host.Cluster.SetOfflineActionAsync(Emulator.Vm2, "vm2", (OfflineAction)7, None));
        Assert.Equal(CimErrors.InvalidOfflineAction, error.Code);

        var resource = await host.Cluster.FindVmResourceAsync(Emulator.Vm2, "vm2", None);
        var raw = await cluster.ClientFor("node1").GetInstanceAsync(resource!.Path, None);
        var bad = raw.With("PrivateProperties", new CimValue.Instance(raw.GetInstance("PrivateProperties")!.With("OfflineAction", new CimValue.UInt32(9))));
        var rawError = await Assert.ThrowsAsync<CimException>(() => cluster.ClientFor("node1").ModifyInstanceAsync(bad, None));
        Assert.Equal(CimErrors.InvalidParameter, rawError.Code);
        Assert.Equal(OfflineAction.Save, cluster.Vm(Emulator.Vm2).OfflineAction);
    }

    [Fact]
    public async Task Drift_injected_into_the_emulator_is_what_the_operations_read()
    {
        var cluster = Emulator.Cluster();
        cluster.SetOfflineAction(Emulator.Vm1, OfflineAction.TurnOff);

        var resource = await Emulator.Host(cluster).Cluster.FindVmResourceAsync(Emulator.Vm1, "vm1", None);

        Assert.Equal(OfflineAction.TurnOff, resource?.OfflineAction);
    }

    [Fact]
    public async Task A_vm_moved_to_another_node_is_seen_there_with_its_partition_and_resource()
    {
        var cluster = Emulator.Cluster();

        cluster.MoveVm(Emulator.Vm1, "node2");

        var node1 = Emulator.Host(cluster, "node1");
        var node2 = Emulator.Host(cluster, "node2");
        Assert.Null(await node1.Vms.FindAsync(Emulator.Vm1, None));
        var vm = await node2.Vms.GetAsync(Emulator.Vm1, None);
        Assert.Equal(VmPowerState.Running, vm.PowerState);
        var adapter = Assert.Single(await node2.Adapters.ListAsync(Emulator.Vm1, None));
        Assert.Equal(Emulator.GpuPath(cluster, "node2", 0), adapter.Device?.GpuInstancePath);
        Assert.Equal(0, cluster.Gpus("node1")[0].AssignedPartitions);
        // Both nodes see the same shared cluster resource.
        Assert.Equal("node2", (await node1.Cluster.FindVmResourceAsync(Emulator.Vm1, "vm1", None))?.OwnerNode);
        Assert.Equal("node2", (await node2.Cluster.FindVmResourceAsync(Emulator.Vm1, "vm1", None))?.OwnerNode);
    }

    [Fact]
    public async Task A_move_to_a_node_without_a_free_partition_is_refused_and_changes_nothing()
    {
        var cluster = Emulator.Cluster();
        var node2 = Emulator.Host(cluster, "node2");
        foreach (var name in new[] { "a", "b" })
        {
            var id = cluster.AddVm("node2", new(name));
            await node2.Adapters.AddAsync(id, null, null, None);
        }

        var error = Assert.Throws<CimException>(() => cluster.MoveVm(Emulator.Vm1, "node2"));

        Assert.Equal(CimErrors.NoFreePartition, error.Code);
        Assert.Equal("node1", cluster.Vm(Emulator.Vm1).Node);
        Assert.Equal(1, cluster.Gpus("node1")[0].AssignedPartitions);
    }

    [Fact]
    public async Task A_vm_renamed_group_is_still_found_by_its_vm_id()
    {
        var cluster = Emulator.Cluster();
        var host = Emulator.Host(cluster);

        // Looking up with a different display name still finds the resource through PrivateProperties.VmID.
        var resource = await host.Cluster.FindVmResourceAsync(Emulator.Vm2, "renamed", None);

        Assert.Equal("Virtual Machine vm2", resource?.Name);
    }

    [Fact]
    public async Task The_emulator_refuses_classes_it_does_not_model()
    {
        var cim = Emulator.Cluster().ClientFor("node1");

        var error = await Assert.ThrowsAsync<CimException>(() => cim.QueryAsync(CimNamespaces.Cluster, Wql.Select("MSCluster_Network"), None));
        var ns = await Assert.ThrowsAsync<CimException>(() => cim.QueryAsync(@"root\StandardCimv2", Wql.Select("MSFT_NetAdapter"), None));

        Assert.Equal(CimErrors.InvalidClass, error.Code);
        Assert.Equal(CimErrors.InvalidNamespace, ns.Code);
    }

    [Fact]
    public async Task The_emulator_refuses_methods_and_associations_it_does_not_model()
    {
        var cluster = Emulator.Cluster();
        var cim = cluster.ClientFor("node1");
        var vm = await Emulator.Host(cluster).Vms.GetAsync(Emulator.Vm1, None);

        var method = await Assert.ThrowsAsync<CimException>(() => cim.InvokeMethodAsync(vm.Path, "ExportSystemDefinition", new Dictionary<string, CimValue?>(), None));
        var association = await Assert.ThrowsAsync<CimException>(() => cim.GetAssociatedAsync(vm.Path, "Msvm_SystemDevice", "Msvm_Processor", None));

        Assert.Equal(CimErrors.NotSupported, method.Code);
        Assert.Equal(CimErrors.NotSupported, association.Code);
    }

    [Fact]
    public async Task Getting_an_instance_that_does_not_exist_is_not_found()
    {
        var cim = Emulator.Cluster().ClientFor("node1");
        var path = new CimInstancePath(CimNamespaces.Virtualization, "Msvm_ComputerSystem", [new("CreationClassName", "Msvm_ComputerSystem"), new("Name", Guid.Empty.ToString())]);

        var error = await Assert.ThrowsAsync<CimException>(() => cim.GetInstanceAsync(path, None));

        Assert.Equal(CimErrors.NotFound, error.Code);
    }
}
