namespace GpuAutomation.Functions.Api;

/// <summary>A message or report the control plane refused, with its stable code and reason.</summary>
public sealed record RejectedMessageView(
    string Trigger,
    string? MessageId,
    string Code,
    string Reason,
    DateTimeOffset RejectedAt,
    string Excerpt);
