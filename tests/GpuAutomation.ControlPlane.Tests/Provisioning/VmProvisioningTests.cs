using GpuAutomation.ControlPlane;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;

namespace GpuAutomation.ControlPlane.Tests.Provisioning;

public sealed class VmProvisioningTests
{
    private const string MachineId = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/node1-vm1";
    private const string InstanceId = MachineId + "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default";

    [Fact]
    public async Task Host_reported_vm_selected_by_name_becomes_one_assign_request_that_starts_it()
    {
        using var harness = await HarnessAsync(new ProvisioningRule("gpu", NamePattern: "node1-vm*", StartAfter: true));

        await harness.Intake.HandleAsync(VmCreated("node1-vm1"), default);
        await harness.Intake.HandleAsync(VmCreated("node1-vm1"), default);
        await harness.DispatchWaitingAsync();

        var page = await harness.Requests.ListAsync(new RequestListQuery(Sample.Cluster, null, null, "node1-vm1", 10, null), default);
        var request = Assert.Single(page.Requests);
        Assert.Equal(PartitionAction.Assign, request.Action);
        Assert.Equal(RequestOrigin.HostEvent, request.Origin);
        Assert.Equal(RequestStatus.Dispatched, request.Status);
        var command = Assert.IsType<AssignPartition>(Assert.Single(harness.Bus.Published).Command.Body);
        Assert.Equal(PowerAfterChange.Start, command.PowerAfter);
    }

    [Fact]
    public async Task Vm_no_rule_selects_is_ignored_and_nothing_is_sent()
    {
        using var harness = await HarnessAsync(new ProvisioningRule("gpu", NamePattern: "render-*"));

        await harness.Intake.HandleAsync(VmCreated("node1-vm1"), default);

        Assert.Empty(harness.Bus.Published);
        Assert.Empty((await harness.Requests.ListAsync(new RequestListQuery(Sample.Cluster, null, null, null, 10, null), default)).Requests);
    }

    [Fact]
    public async Task Azure_event_reads_tags_for_tag_rules_and_the_host_event_for_the_same_vm_adds_nothing()
    {
        using var harness = await HarnessAsync(new ProvisioningRule("tagged", AzureTags: new Dictionary<string, string> { ["gpu-partition"] = "true" }));
        Arm(harness).Set(MachineId, new AzureLocalVmFacts("HCI", null, new Dictionary<string, string> { ["gpu-partition"] = "true" }));
        var provisioning = harness.Get<VmProvisioning>();

        await harness.Intake.HandleAsync(VmCreated("node1-vm1"), default);
        Assert.Empty(harness.Bus.Published);

        var first = await provisioning.OnAzureVmWrittenAsync("event-1", InstanceId, default);
        var redelivered = await provisioning.OnAzureVmWrittenAsync("event-1", InstanceId, default);
        await harness.DispatchWaitingAsync();

        Assert.Equal(ProvisioningResult.Requested, first.Result);
        Assert.Equal(first.RequestId, redelivered.RequestId);
        Assert.Single(harness.Bus.Published);
        Assert.Equal(RequestOrigin.EventGrid, (await harness.Requests.GetAsync(first.RequestId!, default))!.Origin);
    }

    [Fact]
    public async Task Azure_event_for_a_vm_no_host_reported_yet_asks_for_a_retry()
    {
        using var harness = await HarnessAsync(new ProvisioningRule("gpu", NamePattern: "*"));

        await Assert.ThrowsAsync<ControlPlaneException>(() => harness.Get<VmProvisioning>().OnAzureVmWrittenAsync(
            "event-2", "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/not-yet/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default", default));
    }

    [Fact]
    public async Task Selected_vm_without_capacity_is_stored_as_rejected_with_the_reason()
    {
        using var harness = new ControlPlaneHarness(Backends.InMemory());
        await harness.SeedAsync(Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 2, without: 2));
        await harness.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([new ProvisioningRule("gpu", NamePattern: "*")]), Sample.Start, "tester", null, default);

        var outcome = await harness.Get<VmProvisioning>().OnAzureVmWrittenAsync(
            "event-3", "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/node1-vm0/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default", default);

        Assert.Equal(ProvisioningResult.Rejected, outcome.Result);
        Assert.Contains("No free GPU partition", outcome.Detail, StringComparison.Ordinal);
        Assert.Equal(RequestCodes.NoFreePartition, (await harness.Requests.GetAsync(outcome.RequestId!, default))!.Error!.Code);
        Assert.Empty(harness.Bus.Published);
    }

    [Fact]
    public async Task Azure_event_matches_the_vm_by_its_instance_id_when_the_names_differ()
    {
        using var harness = await HarnessAsync(new ProvisioningRule("gpu", NamePattern: "*"));
        const string ArcMachine = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/web-frontend";
        Arm(harness).Set(ArcMachine, new AzureLocalVmFacts("HCI", Sample.VmId("node1-vm1"), new Dictionary<string, string>()));

        var outcome = await harness.Get<VmProvisioning>().OnAzureVmWrittenAsync("event-4", ArcMachine + "/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default", default);

        Assert.Equal(ProvisioningResult.Requested, outcome.Result);
        var request = (await harness.Requests.GetAsync(outcome.RequestId!, default))!;
        Assert.Equal("node1-vm1", request.VmName);
        Assert.Equal(Sample.VmId("node1-vm1"), request.VmId);
    }

    [Fact]
    public async Task Azure_event_prefers_the_id_over_a_vm_that_only_shares_the_name()
    {
        using var harness = await HarnessAsync(new ProvisioningRule("gpu", NamePattern: "*"));
        Arm(harness).Set(MachineId, new AzureLocalVmFacts("HCI", Sample.VmId("node1-vm2"), new Dictionary<string, string>()));

        var outcome = await harness.Get<VmProvisioning>().OnAzureVmWrittenAsync("event-5", InstanceId, default);

        Assert.Equal("node1-vm2", (await harness.Requests.GetAsync(outcome.RequestId!, default))!.VmName);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Both_writes_of_an_azure_local_vm_creation_in_either_order_provision_it_once(bool machineFirst)
    {
        using var harness = await HarnessAsync(new ProvisioningRule("gpu", NamePattern: "*"));
        Arm(harness).Set(MachineId, new AzureLocalVmFacts("HCI", Sample.VmId("node1-vm1"), new Dictionary<string, string>()));
        var handler = harness.Get<VmLifecycleEventHandler>();
        var machine = Written("machine-write", VmLifecycleEvent.ArcMachineWrite, MachineId);
        var instance = Written("instance-write", VmLifecycleEvent.AzureLocalVmInstanceWrite, InstanceId);

        foreach (var resourceEvent in machineFirst ? new[] { machine, instance, machine } : [instance, machine, instance])
        {
            await handler.HandleAsync(resourceEvent, default);
        }

        await harness.DispatchWaitingAsync();
        var page = await harness.Requests.ListAsync(new RequestListQuery(Sample.Cluster, null, null, "node1-vm1", 10, null), default);
        Assert.Equal(RequestOrigin.EventGrid, Assert.Single(page.Requests).Origin);
        Assert.Single(harness.Bus.Published);
    }

    [Fact]
    public async Task Both_writes_arriving_together_provision_once()
    {
        using var harness = await HarnessAsync(new ProvisioningRule("gpu", NamePattern: "*"));
        Arm(harness).Set(MachineId, new AzureLocalVmFacts("HCI", Sample.VmId("node1-vm1"), new Dictionary<string, string>()));
        var handler = harness.Get<VmLifecycleEventHandler>();

        // A twin still being written answers retryable idempotency-key-in-flight: Event Grid redelivers, as here.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var resourceEvent = i % 2 == 0 ? Written($"m{i}", VmLifecycleEvent.ArcMachineWrite, MachineId) : Written($"i{i}", VmLifecycleEvent.AzureLocalVmInstanceWrite, InstanceId);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await handler.HandleAsync(resourceEvent, default);
                    return;
                }
                catch (ControlPlaneException ex) when (ex.Code == RequestCodes.IdempotencyKeyInFlight && ex.IsRetryable && attempt < 50)
                {
                    await Task.Delay(10);
                }
            }
        })));

        await harness.DispatchWaitingAsync();
        Assert.Single((await harness.Requests.ListAsync(new RequestListQuery(Sample.Cluster, null, null, "node1-vm1", 10, null), default)).Requests);
        Assert.Single(harness.Bus.Published);
    }

    [Fact]
    public async Task Write_of_an_arc_machine_that_is_not_an_azure_local_vm_is_ignored_without_a_retry()
    {
        using var harness = await HarnessAsync(new ProvisioningRule("gpu", NamePattern: "*"));
        Arm(harness).Set(MachineId, new AzureLocalVmFacts("VMware", null, new Dictionary<string, string>()));

        await harness.Get<VmLifecycleEventHandler>().HandleAsync(Written("vmware", VmLifecycleEvent.ArcMachineWrite, MachineId), default);

        Assert.Empty((await harness.Requests.ListAsync(new RequestListQuery(Sample.Cluster, null, null, null, 10, null), default)).Requests);
    }

    private static InMemoryAzureLocalVmReader Arm(ControlPlaneHarness harness) => (InMemoryAzureLocalVmReader)harness.Get<IAzureLocalVmReader>();

    private static VmLifecycleEvent Written(string id, string operation, string resourceId)
        => new(id, "Microsoft.Resources.ResourceWriteSuccess", resourceId, "/subscriptions/s1/resourceGroups/rg1", Sample.Start, operation, resourceId, "Succeeded", "corr-" + id, default);

    private static async Task<ControlPlaneHarness> HarnessAsync(ProvisioningRule rule)
    {
        var harness = new ControlPlaneHarness(Backends.InMemory());
        await harness.SeedAsync(Sample.Node("node1", Sample.Start));
        await harness.Get<PolicyStore>().SaveAsync(Sample.Cluster, new ProvisioningPolicy([rule]), Sample.Start, "tester", null, default);
        return harness;
    }

    private static Message VmCreated(string vmName)
        => Message.Create(
            new ClusterEvent(ClusterEventKind.VmCreated, "node1", Sample.Start, vmName, Sample.VmId(vmName), PowerState: VmPowerState.Off),
            "event-" + Guid.NewGuid().ToString("N"),
            Sample.Cluster,
            "node1",
            Sample.Start);
}
