namespace GpuAutomation.Functions.Api;

/// <summary>A partition request and where it is in its lifecycle (body of GET and of the 202 answers).</summary>
/// <param name="Action">assign, unassign, configurePartitionCount or setOfflineAction.</param>
/// <param name="Status">Accepted, Dispatched, Running, Succeeded, Failed, Rejected or TimedOut.</param>
/// <param name="Gpus">The GPUs the request targets (instance paths).</param>
/// <param name="Error">Why it was rejected, failed or timed out.</param>
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
    NoticeView? Error);
