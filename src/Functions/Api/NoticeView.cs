namespace GpuAutomation.Functions.Api;

/// <summary>A warning or error with a stable code (the control plane's request codes) and a message naming the values.</summary>
public sealed record NoticeView(string Code, string Message, string? Step);
