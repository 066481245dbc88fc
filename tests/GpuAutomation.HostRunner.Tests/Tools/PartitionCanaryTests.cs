using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;
using GpuAutomation.HostRunner.Tools;

namespace GpuAutomation.HostRunner.Tests.Tools;

public sealed class PartitionCanaryTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "hostrunner-canary-" + Guid.NewGuid().ToString("N"));
    private readonly StringWriter _output = new();

    public void Dispose()
    {
        _output.Dispose();
        if (Directory.Exists(_journal))
        {
            Directory.Delete(_journal, true);
        }
    }

    [Fact]
    public async Task A_canary_assigns_and_unassigns_printing_every_call_and_leaves_the_vm_as_it_was()
    {
        var cluster = Emulator.Cluster();
        var before = cluster.Vm(Emulator.Vm2);

        var exit = await Canary(cluster).RunAsync("vm2", allowRestart: false, None);

        var text = _output.ToString();
        Assert.True(exit == 0, text);
        Assert.Contains("invoke Msvm_VirtualSystemManagementService.AddResourceSettings", text, StringComparison.Ordinal);
        Assert.Contains("ResourceSettings=[<INSTANCE CLASSNAME=\"Msvm_GpuPartitionSettingData\"", text, StringComparison.Ordinal);
        Assert.Contains("invoke Msvm_VirtualSystemManagementService.RemoveResourceSettings", text, StringComparison.Ordinal);
        Assert.Contains("modify \\\\node1\\root\\MSCluster:MSCluster_Resource.Name=\"Virtual Machine vm2\" with PrivateProperties=instance of MSCluster_Property {OfflineAction=3", text, StringComparison.Ordinal);
        Assert.Contains("JobState 7", text, StringComparison.Ordinal);
        Assert.Contains("step add-partition-adapter: Succeeded", text, StringComparison.Ordinal);
        Assert.Contains("step remove-partition-adapter: Succeeded", text, StringComparison.Ordinal);
        Assert.Contains("the VM is as it was found", text, StringComparison.Ordinal);
        AssertSame(before, cluster.Vm(Emulator.Vm2));
    }

    [Fact]
    public async Task A_running_vm_is_refused_without_allow_restart_and_nothing_is_changed()
    {
        var cluster = Emulator.Cluster();
        cluster.SetPowerState(Emulator.Vm2, VmPowerState.Running);

        var exit = await Canary(cluster).RunAsync("vm2", allowRestart: false, None);

        Assert.Equal(2, exit);
        Assert.Contains("--allow-restart", _output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("AddResourceSettings", _output.ToString(), StringComparison.Ordinal);
        Assert.Equal(VmPowerState.Running, cluster.Vm(Emulator.Vm2).PowerState);
    }

    [Fact]
    public async Task With_allow_restart_a_running_vm_runs_again_afterwards_with_its_settings_put_back()
    {
        var cluster = Emulator.Cluster();
        cluster.SetPowerState(Emulator.Vm2, VmPowerState.Running);
        var before = cluster.Vm(Emulator.Vm2);

        var exit = await Canary(cluster).RunAsync("vm2", allowRestart: true, None);

        Assert.True(exit == 0, _output.ToString());
        AssertSame(before, cluster.Vm(Emulator.Vm2));
    }

    [Fact]
    public async Task A_vm_that_already_has_a_partition_is_refused()
    {
        var cluster = Emulator.Cluster();

        var exit = await Canary(cluster).RunAsync("vm1", allowRestart: true, None);

        Assert.Equal(2, exit);
        Assert.Contains("already has a GPU partition adapter", _output.ToString(), StringComparison.Ordinal);
        Assert.NotNull(cluster.Vm(Emulator.Vm1).AdapterId);
    }

    [Fact]
    public async Task A_failed_add_job_exits_1_shows_the_failing_call_and_leaves_no_adapter()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("AddResourceSettings", EmulatedFaultKind.FailJob, JobErrorCode: 32773, Description: "Failed to add device 'GPU Partition'."));
        var before = cluster.Vm(Emulator.Vm2);

        var exit = await Canary(cluster).RunAsync("vm2", allowRestart: false, None);

        var text = _output.ToString();
        Assert.Equal(1, exit);
        Assert.Contains("ErrorCode 32773, ErrorDescription 'Failed to add device 'GPU Partition'.'", text, StringComparison.Ordinal);
        Assert.Contains("step add-partition-adapter: Failed", text, StringComparison.Ordinal);
        Assert.Contains("AssignPartition Failed at step add-partition-adapter", text, StringComparison.Ordinal);
        Assert.Contains("the VM is as it was found", text, StringComparison.Ordinal);
        AssertSame(before, cluster.Vm(Emulator.Vm2));
    }

    [Fact]
    public async Task A_failed_remove_says_plainly_that_the_adapter_remains()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("RemoveResourceSettings", EmulatedFaultKind.FailJob, JobErrorCode: 32768));

        var exit = await Canary(cluster).RunAsync("vm2", allowRestart: false, None);

        var text = _output.ToString();
        Assert.Equal(1, exit);
        Assert.Contains("UnassignPartition Failed at step remove-partition-adapter", text, StringComparison.Ordinal);
        Assert.Contains("NOT as found: 1 GPU partition adapter(s) remain (Remove-VMGpuPartitionAdapter -VMName 'vm2')", text, StringComparison.Ordinal);
        Assert.NotNull(cluster.Vm(Emulator.Vm2).AdapterId);
    }

    [Fact]
    public async Task The_canary_command_runs_over_a_simulated_file_and_refuses_an_unknown_vm()
    {
        var output = new StringWriter();
        Assert.Equal(0, await ToolCommand.RunAsync(["canary", "--simulate", HostCaptureTests.SampleFile, "--node", "node1", "--vm", "build-01", "--journal", _journal], output, new StringWriter(), None));
        Assert.Contains("cim> invoke Msvm_VirtualSystemManagementService.AddResourceSettings", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await ToolCommand.RunAsync(["canary", "--simulate", HostCaptureTests.SampleFile, "--node", "node1", "--vm", "nope", "--journal", _journal], new StringWriter(), new StringWriter(), None));
    }

    /// <summary>Every field equal (the adapter values compared by content).</summary>
    private static void AssertSame(EmulatedVmState expected, EmulatedVmState actual)
    {
        Assert.Equal(expected.AdapterValues, actual.AdapterValues);
        Assert.Equal(expected with { AdapterValues = actual.AdapterValues }, actual);
    }

    private PartitionCanary Canary(EmulatedCluster cluster)
        => new(new HyperVHost("node1", new TracingCimClient(cluster.ClientFor("node1"), _output), Emulator.Fast), _journal, _output);
}
