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
        ((InMemoryTagReader)harness.Get<IAzureTagReader>()).SetTags(MachineId, new Dictionary<string, string> { ["gpu-partition"] = "true" });
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
