using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace GpuAutomation.HostRunner.Tests.HyperV;

public sealed class HyperVJobsTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task A_job_moves_from_running_to_completed_after_the_delay_reporting_progress()
    {
        // Fake time: the job is Running until time is advanced past its delay, whatever the machine's load.
        var time = new FakeTimeProvider();
        var cluster = Emulator.Cluster(jobDelayMs: 200, time: time);
        var host = Emulator.Host(cluster);
        var cim = cluster.ClientFor("node1");
        var vm = await host.Vms.GetAsync(Emulator.Vm2, None);
        var result = await cim.InvokeMethodAsync(vm.Path, "RequestStateChange", new Dictionary<string, CimValue?> { ["RequestedState"] = new CimValue.UInt16(2) }, None);
        Assert.Equal(HyperVReturnCodes.JobStarted, result.ReturnValue);
        Assert.Equal(4UL, (await cim.GetInstanceAsync(result.GetReference("Job")!, None)).GetUnsigned("JobState"));
        Assert.Equal(Contracts.Inventory.VmPowerState.Starting, cluster.Vm(Emulator.Vm2).PowerState);

        var completion = host.Jobs.CompleteAsync(result, "Start", None);
        var percents = new List<ulong>();
        for (var i = 0; i < 100 && !completion.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(5);
            percents.Add((await cim.GetInstanceAsync(result.GetReference("Job")!, None)).GetUnsigned("PercentComplete") ?? 0);
        }

        await completion;
        Assert.Equal(100UL, percents[^1]);
        Assert.Contains(percents, p => p is > 0 and < 100);
        Assert.Equal(7UL, (await cim.GetInstanceAsync(result.GetReference("Job")!, None)).GetUnsigned("JobState"));
        Assert.Equal(Contracts.Inventory.VmPowerState.Running, cluster.Vm(Emulator.Vm2).PowerState);
    }

    [Fact]
    public async Task Finished_jobs_stay_readable_for_a_while_then_are_dropped()
    {
        var time = new FakeTimeProvider();
        var cluster = Emulator.Cluster(time: time);
        var host = Emulator.Host(cluster);
        var cim = cluster.ClientFor("node1");
        var vm = await host.Vms.GetAsync(Emulator.Vm2, None);
        var result = await cim.InvokeMethodAsync(vm.Path, "RequestStateChange", new Dictionary<string, CimValue?> { ["RequestedState"] = new CimValue.UInt16(2) }, None);
        var job = result.GetReference("Job")!;

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(7UL, (await cim.GetInstanceAsync(job, None)).GetUnsigned("JobState"));
        time.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal(CimErrors.NotFound, (await Assert.ThrowsAsync<CimException>(() => cim.GetInstanceAsync(job, None))).Code);
    }

    [Fact]
    public async Task A_failed_job_maps_to_job_failed_with_its_error_code_and_description()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("AddResourceSettings", EmulatedFaultKind.FailJob, JobErrorCode: 32779, Description: "The GPU driver refused the partition"));

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Adapters.AddAsync(Emulator.Vm2, null, null, None));

        Assert.Equal(CimErrors.JobFailed, error.Code);
        Assert.Equal(32779u, error.NativeCode);
        Assert.Contains("The GPU driver refused the partition", error.Message, StringComparison.Ordinal);
        Assert.Contains("job state 10", error.Message, StringComparison.Ordinal);
        Assert.Null(cluster.Vm(Emulator.Vm2).AdapterId);
    }

    [Fact]
    public async Task A_job_that_completes_with_warnings_is_a_success()
    {
        // 32768 "Completed with warnings" (Microsoft's sample WmiUtilities.IsJobSuccessful; audit row 30).
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("RequestStateChange", EmulatedFaultKind.WarnJob));
        var host = Emulator.Host(cluster);

        Assert.True(await host.Power.StartAsync(Emulator.Vm2, None));

        Assert.Equal(Contracts.Inventory.VmPowerState.Running, cluster.Vm(Emulator.Vm2).PowerState);
    }

    [Fact]
    public async Task A_job_in_state_service_is_not_final_and_is_polled_until_it_completes()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("RequestStateChange", EmulatedFaultKind.ServiceJob, Delay: TimeSpan.FromMilliseconds(500)));
        var host = Emulator.Host(cluster);
        var vm = await host.Vms.GetAsync(Emulator.Vm2, None);
        var result = await cluster.ClientFor("node1").InvokeMethodAsync(vm.Path, "RequestStateChange", new Dictionary<string, CimValue?> { ["RequestedState"] = new CimValue.UInt16(2) }, None);
        Assert.Equal(11UL, (await cluster.ClientFor("node1").GetInstanceAsync(result.GetReference("Job")!, None)).GetUnsigned("JobState"));

        await host.Jobs.CompleteAsync(result, "Start", None);

        Assert.Equal(Contracts.Inventory.VmPowerState.Running, cluster.Vm(Emulator.Vm2).PowerState);
    }

    [Theory]
    [InlineData((ushort)8)]
    [InlineData((ushort)9)]
    [InlineData((ushort)10)]
    public async Task Terminated_killed_and_exception_are_failures(ushort state)
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("RequestStateChange", EmulatedFaultKind.FailJob, JobErrorCode: 32768, FailedJobState: state));

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Power.StartAsync(Emulator.Vm2, None));

        Assert.Equal(CimErrors.JobFailed, error.Code);
        Assert.Contains($"job state {state}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hung_job_times_out()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("RequestStateChange", EmulatedFaultKind.HangJob));
        var options = Emulator.Fast with { JobTimeout = TimeSpan.FromMilliseconds(100) };

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster, options: options).Power.StartAsync(Emulator.Vm2, None));

        Assert.Equal(CimErrors.JobTimeout, error.Code);
        Assert.Contains("50% complete", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_job_still_completes()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("ModifySystemSettings", EmulatedFaultKind.SlowJob, Delay: TimeSpan.FromMilliseconds(100)));
        var started = DateTimeOffset.UtcNow;

        await Emulator.Host(cluster).Adapters.SetMemorySettingsAsync(Emulator.Vm2, new VmGpuMemorySettings(HighMmioGapMb: 32768), None);

        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromMilliseconds(90));
        Assert.Equal(32768UL, cluster.Vm(Emulator.Vm2).HighMmioGapMb);
    }

    [Fact]
    public async Task A_method_that_fails_outright_maps_its_return_value()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("AddResourceSettings", EmulatedFaultKind.Fail, ReturnValue: HyperVReturnCodes.AccessDenied, Times: 1));
        var host = Emulator.Host(cluster);

        var error = await Assert.ThrowsAsync<CimException>(() => host.Adapters.AddAsync(Emulator.Vm2, null, null, None));
        Assert.Equal(CimErrors.AccessDenied, error.Code);
        Assert.Equal(32769u, error.NativeCode);

        // The fault was for one call only: the next attempt succeeds.
        await host.Adapters.AddAsync(Emulator.Vm2, null, null, None);
        Assert.NotNull(cluster.Vm(Emulator.Vm2).AdapterId);
    }

    [Fact]
    public async Task A_slow_method_completes_after_its_delay()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("RequestStateChange", EmulatedFaultKind.Slow, Delay: TimeSpan.FromMilliseconds(100)));
        var started = DateTimeOffset.UtcNow;

        await Emulator.Host(cluster).Power.TurnOffAsync(Emulator.Vm1, None);

        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromMilliseconds(90));
    }

    [Fact]
    public async Task A_hanging_method_ends_when_the_caller_cancels()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("RequestStateChange", EmulatedFaultKind.Hang));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Emulator.Host(cluster).Power.StartAsync(Emulator.Vm2, cancel.Token));

        Assert.Equal(Contracts.Inventory.VmPowerState.Off, cluster.Vm(Emulator.Vm2).PowerState);
    }

    [Fact]
    public async Task A_failing_query_carries_the_injected_code()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("Query", EmulatedFaultKind.Fail, ClassName: HyperVClasses.PartitionableGpu, Code: CimErrors.AccessDenied));

        var error = await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster).Gpus.ListAsync(None));

        Assert.Equal(CimErrors.AccessDenied, error.Code);
    }

    [Fact]
    public async Task A_fault_for_one_node_leaves_the_other_alone()
    {
        var cluster = Emulator.Cluster();
        cluster.Faults.Add(new EmulatedFault("Query", EmulatedFaultKind.Fail, Node: "node1"));

        await Assert.ThrowsAsync<CimException>(() => Emulator.Host(cluster, "node1").Gpus.ListAsync(None));
        Assert.Single(await Emulator.Host(cluster, "node2").Gpus.ListAsync(None));
    }

    [Theory]
    [InlineData(1u, CimErrors.NotSupported)]
    [InlineData(2u, CimErrors.MethodFailed)]
    [InlineData(3u, CimErrors.JobTimeout)]
    [InlineData(4u, CimErrors.InvalidParameter)]
    [InlineData(5u, CimErrors.InvalidState)]
    [InlineData(6u, CimErrors.InvalidParameter)]
    [InlineData(32775u, CimErrors.InvalidState)]
    public void Return_values_map_to_stable_codes(uint returnValue, string code)
    {
        var error = HyperVReturnCodes.ToException(returnValue, "Doing it");
        Assert.Equal(code, error.Code);
        Assert.StartsWith($"Doing it returned {returnValue}", error.Message, StringComparison.Ordinal);
    }

}
