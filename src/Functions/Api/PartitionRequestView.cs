namespace GpuAutomation.Functions.Api;

/// <summary>A partition request and where it is in its lifecycle (body of GET and of the 202 answers).</summary>
/// <param name="Action">assign, unassign, configurePartitionCount or setOfflineAction.</param>
/// <param name="Status">Accepted, Dispatched, Running, Succeeded, Failed, Rejected or TimedOut.</param>
/// <param name="Gpus">The GPUs the request targets (instance paths).</param>
/// <param name="Error">Why it was rejected, failed or timed out.</param>
/// <param name="TraceId">
/// The W3C trace id (32 hex digits) the request was submitted in, when tracing is on: its API call, table writes,
/// command, the agent's steps and CIM calls and the result intake. In Application Insights it is the operation_Id
/// (Transaction search, or <c>union * | where operation_Id == "&lt;traceId&gt;"</c>).
/// </param>
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
    string? TraceId = null);
