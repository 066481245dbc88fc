namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>A warning or an error about a request: a stable code from <see cref="RequestCodes"/> and a message naming the values.</summary>
/// <param name="Step">For a failure on the host: the step that failed.</param>
public sealed record RequestNotice(string Code, string Message, string? Step = null);
