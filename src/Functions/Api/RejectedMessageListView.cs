namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>GET /api/rejected-messages</c>: newest first.</summary>
public sealed record RejectedMessageListView(IReadOnlyList<RejectedMessageView> Messages);
