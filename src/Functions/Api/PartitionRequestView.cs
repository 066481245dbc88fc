namespace GpuAutomation.Functions.Api;

/// <summary>A partition request and where it is in its lifecycle (body of GET and of the 202 answers).</summary>
/// <param name="Action">assign, unassign, configurePartitionCount, setOfflineAction, or move (a placement's move, asked by the control plane).</param>
/// <param name="Status">Queued, Accepted, Dispatched, Running, Succeeded, Failed, Rejected, TimedOut, Expired or Cancelled.</param>
/// <param name="Gpus">The GPUs the request targets (instance paths).</param>
/// <param name="Error">Why it was rejected, failed, timed out, expired or was cancelled.</param>
/// <param name="TraceId">
/// The W3C trace id (32 hex digits) the request was submitted in, when tracing is on: its API call, table writes,
/// command, the agent's steps and CIM calls and the result intake. In Application Insights it is the operation_Id
/// (Transaction search, or <c>union * | where operation_Id == "&lt;traceId&gt;"</c>).
/// </param>
/// <param name="QueuePosition">While Queued: its place in the cluster's queue (1: admitted next when capacity frees).</param>
/// <param name="QueuedUntil">While Queued: when it expires unless admitted.</param>
/// <param name="QueuePriority">The priority it waits with (higher first); null when it never asked to wait.</param>
/// <param name="Placement">When its VM moves to another node for the partition: from where, to where, how and why. On a Queued request: the control plane is placing it there right now; it becomes the assignment on that node, or waits on.</param>
public sealed record PartitionRequestView(
    string Id,
    string Cluster,
    string Node,
    string Action,
    string? Vm,
    Guid? VmId,
    int? PartitionCount,
    IReadOnlyList<string> Gpus,
    string Origin,
    string RequestedBy,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    string? CommandId,
    string? OfflineAction,
    IReadOnlyList<NoticeView> Warnings,
    IReadOnlyList<StepView> Steps,
    NoticeView? Error,
    string? TraceId = null,
    int? QueuePosition = null,
    DateTimeOffset? QueuedUntil = null,
    int? QueuePriority = null,
    PlacementView? Placement = null);
