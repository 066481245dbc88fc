namespace GpuAutomation.Functions.Hosting;

/// <summary>The result of one invocation as the host logs it and tests read it.</summary>
/// <param name="Status">processed, rejected, ignored or failed.</param>
/// <param name="Code">A stable code when the input was rejected or the invocation failed.</param>
/// <param name="Detail">What happened, naming the values.</param>
public sealed record InvocationOutcome(string Status, string? Code, string? Detail)
{
    public const string Processed = "processed";
    public const string Rejected = "rejected";
    public const string Ignored = "ignored";
    public const string Failed = "failed";
}
