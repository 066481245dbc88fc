using System.Text.Json;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// The core's models as the API shows them. Enums travel as their names; actions in camelCase to match what
/// clients send ("assign", "unassign"). The views are the API's own so the core can change without breaking clients.
/// </summary>
public static class ApiViews
{
    public static ClusterSummaryView Summary(ClusterSummary summary, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new(summary.Cluster, summary.Nodes, summary.Gpus, summary.FreePartitions, summary.OldestSnapshotAt, summary.NewestSnapshotAt, Seconds(now - summary.OldestSnapshotAt));
    }

    public static InventoryView Inventory(ClusterInventory inventory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var oldest = inventory.Nodes.Min(n => n.TakenAt);
        return new(
            inventory.Cluster,
            oldest,
            Seconds(now - oldest),
            inventory.TotalPartitions,
            inventory.FreePartitions,
            [.. inventory.Nodes.OrderBy(n => n.Node, StringComparer.OrdinalIgnoreCase).Select(n => Node(n, now))]);
    }

    private static NodeView Node(NodeInventory node, DateTimeOffset now) => new(
        node.Node,
        node.TakenAt,
        Seconds(now - node.TakenAt),
        node.Host.OsBuild,
        node.Host.SriovSupported,
        node.Host.IommuSupported,
        [.. node.Gpus.Select(g => new GpuView(
            g.InstancePath,
            g.Vendor,
            g.Model,
            g.MemoryMiB,
            g.PnpStatus,
            g.PnpErrorCode,
            g.AssignedStatus.ToString(),
            g.ValidPartitionCounts,
            g.PartitionCount,
            g.FreePartitions,
            [.. g.Partitions.Select(p => new GpuPartitionView(p.PartitionId, p.VmName, p.VmId))],
            g.Driver?.Version))],
        [.. node.Vms.Select(vm => new VmView(
            vm.Name,
            vm.Id,
            vm.PowerState.ToString(),
            vm.IsClustered,
            vm.OfflineAction?.ToString(),
            vm.PartitionAdapters is [var adapter, ..] ? new VmPartitionView(adapter.AdapterId, adapter.GpuInstancePath, adapter.PartitionId) : null))]);

    public static PartitionRequestView Request(PartitionRequest request) => QueuedRequest(request, null);

    /// <param name="queuePosition">Where a queued request stands in its cluster's queue (null: not queued or not asked).</param>
    public static PartitionRequestView QueuedRequest(PartitionRequest request, int? queuePosition)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new(
            request.Id,
            request.Cluster,
            request.Node,
            ActionName(request.Action),
            request.VmName,
            request.VmId,
            request.PartitionCount,
            request.GpuInstancePaths,
            request.Origin.ToString(),
            request.RequestedBy,
            request.Status.ToString(),
            request.CreatedAt,
            request.UpdatedAt,
            request.CompletedAt,
            request.CommandId,
            request.OfflineAction?.ToString(),
            [.. request.Warnings.Select(Notice)],
            [.. request.Steps.Select(s => new StepView(s.Name, s.Outcome.ToString(), s.StartedAt, s.EndedAt, s.Detail))],
            request.Error is { } error ? Notice(error) : null,
            request.TraceId,
            queuePosition,
            request.QueuedUntil,
            request.Queue?.Priority,
            request.Placement is { } p
                ? new PlacementView(p.FromNode, p.ToNode, JsonNamingPolicy.CamelCase.ConvertName(p.Mode.ToString()), p.Reason, p.MoveRequestId, p.AssignRequestId, p.Moved, p.LateAssignRequestId, p.WithoutPartition is { } without ? Notice(without) : null)
                : null);
    }

    public static NoticeView Notice(RequestNotice notice)
    {
        ArgumentNullException.ThrowIfNull(notice);
        return new(notice.Code, notice.Message, notice.Step);
    }

    public static string ActionName(PartitionAction action) => JsonNamingPolicy.CamelCase.ConvertName(action.ToString());

    public static ComplianceReportView Compliance(ComplianceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new(
            report.Id,
            report.Cluster,
            report.CheckedAt,
            report.IsCompliant,
            [.. report.Findings.Select(f => new ComplianceFindingView(
                f.Rule,
                f.Severity.ToString(),
                f.Resource,
                f.Message,
                f.Remediation is { } r ? new RemediationView(r.Kind.ToString(), r.Description, r.Automatic, r.Node, r.VmName, r.VmId) : null,
                f.RemediationRequestId))]);
    }

    private static long Seconds(TimeSpan age) => Math.Max(0, (long)age.TotalSeconds);
}
