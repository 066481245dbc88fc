using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tests.HyperV;

public sealed class VirtualMachinesTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Lists_only_the_vms_of_this_node_not_the_host()
    {
        var vms = await Emulator.Host(Emulator.Cluster()).Vms.ListAsync(None);
        Assert.Equal(["vm1", "vm2", "vm3"], vms.Select(v => v.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task On_a_german_host_vms_are_found_though_caption_is_localized()
    {
        // Caption is localized (audit row 37, E20): discovery goes by the GUID-shaped Name.
        var cluster = new EmulatedCluster(new ClusterDescription("c1", [
            new NodeDescription("knoten1", [new GpuDescription("NVIDIA A2", 4)], [
                new VmDescription("vm1", Emulator.Vm1, VmPowerState.Running),
                new VmDescription("vm2", Emulator.Vm2, VmPowerState.Off),
            ], Language: "de-DE"),
        ]));
        var host = cluster.HostFor("knoten1", Emulator.Fast);
        var captions = await cluster.ClientFor("knoten1").QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.ComputerSystem), None);
        Assert.DoesNotContain(captions, c => c.GetString("Caption") is "Virtual Machine" or "Hosting Computer System");

        var vms = await host.Vms.ListAsync(None);
        var byName = await host.Vms.FindByNameAsync("vm2", None);
        var inventory = await host.Inventory.ReadAsync(None);

        Assert.Equal(["vm1", "vm2"], vms.Select(v => v.Name).Order(StringComparer.Ordinal));
        Assert.Equal(Emulator.Vm2, byName.Id);
        Assert.Equal(2, inventory.Vms.Count);
        Assert.Null(await host.Vms.FindAsync(Guid.NewGuid(), None));
    }

    [Fact]
    public async Task Finds_a_vm_by_name_with_its_guid_and_power_state()
    {
        var vm = await Emulator.Host(Emulator.Cluster()).Vms.FindByNameAsync("vm1", None);
        Assert.Equal(Emulator.Vm1, vm.Id);
        Assert.Equal(VmPowerState.Running, vm.PowerState);
        Assert.Equal(2, vm.EnabledState);
    }

    [Fact]
    public async Task Two_vms_with_one_name_are_ambiguous_and_the_error_names_both_ids()
    {
        var cluster = Emulator.Cluster();
        var twin = cluster.AddVm("node1", new("vm2"));

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Vms.FindByNameAsync("vm2", None));

        Assert.Equal(CimErrors.VmAmbiguous, error.Code);
        Assert.Contains(twin.ToString("D").ToUpperInvariant(), error.Message, StringComparison.Ordinal);
        Assert.Contains(Emulator.Vm2.ToString("D").ToUpperInvariant(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_vm_on_another_node_is_not_found_here()
    {
        var cluster = Emulator.Cluster();
        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster, "node2").Vms.FindByNameAsync("vm1", None));
        Assert.Equal(CimErrors.VmNotFound, error.Code);
        Assert.Null(await Emulator.Host(cluster, "node2").Vms.FindAsync(Emulator.Vm1, None));
    }

    [Fact]
    public async Task Reads_the_realized_settings_object()
    {
        var settings = await Emulator.Host(Emulator.Cluster()).Vms.GetRealizedSettingsAsync(Emulator.Vm2, None);
        Assert.Equal(HyperVClasses.RealizedSystemType, settings.GetString("VirtualSystemType"));
        Assert.Equal($"Microsoft:{Emulator.Vm2.ToString("D").ToUpperInvariant()}", settings.GetString("InstanceID"));
    }

    [Theory]
    [InlineData(2, VmPowerState.Running)]
    [InlineData(3, VmPowerState.Off)]
    [InlineData(4, VmPowerState.ShuttingDown)]
    [InlineData(6, VmPowerState.Saved)]
    [InlineData(9, VmPowerState.Paused)]
    [InlineData(10, VmPowerState.Starting)]
    [InlineData(32768, VmPowerState.Paused)]
    [InlineData(32769, VmPowerState.Saved)]
    [InlineData(32773, VmPowerState.Saving)]
    [InlineData(32776, VmPowerState.Pausing)]
    [InlineData(32777, VmPowerState.Resuming)]
    [InlineData(12345, VmPowerState.Unknown)]
    public void Maps_enabled_state_to_power_state(int enabledState, VmPowerState expected)
        => Assert.Equal(expected, VirtualMachine.PowerStateOf((ushort)enabledState));
}
