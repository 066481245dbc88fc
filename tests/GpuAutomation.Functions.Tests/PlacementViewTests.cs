using System.Text.Json;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.Functions.Api;

namespace GpuAutomation.Functions.Tests;

public sealed class PlacementViewTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 4, 0, 0, TimeSpan.Zero);

    private static PartitionRequest Move(VmMove placement) => new(
        "m1", null, "cl1", "node1", PartitionAction.Move, "vm1", Guid.Empty, null, [], RequestOrigin.Api, "tester",
        RequestStatus.Succeeded, Now, Now, Now, "c1", [], [], null, Placement: placement);

    [Fact]
    public void A_move_that_finished_late_shows_the_assign_admitted_then_or_why_the_vm_has_no_partition()
    {
        var placement = new VmMove("node1", "node2", MoveMode.Quick, "node1 has no free partition", "m1", "a1", "moved late (after the placement had timed out), moved");

        var linked = JsonSerializer.SerializeToElement(ApiViews.Request(Move(placement with { LateAssignRequestId = "a2" })), ApiJsonContext.Default.PartitionRequestView).GetProperty("placement");
        var without = JsonSerializer.SerializeToElement(
            ApiViews.Request(Move(placement with { WithoutPartition = new RequestNotice(RequestCodes.MovedWithoutPartition, "VM 'vm1' … now runs on node2 without a GPU partition") })),
            ApiJsonContext.Default.PartitionRequestView).GetProperty("placement");

        Assert.Equal("a2", linked.GetProperty("lateAssignRequestId").GetString());
        Assert.Equal(JsonValueKind.Null, linked.GetProperty("withoutPartition").ValueKind);
        Assert.Equal("moved-without-partition", without.GetProperty("withoutPartition").GetProperty("code").GetString());
        Assert.Contains("without a GPU partition", without.GetProperty("withoutPartition").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, without.GetProperty("lateAssignRequestId").ValueKind);
    }
}
