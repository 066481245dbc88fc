namespace GpuAutomation.Functions.Api;

/// <summary>How a request waits for capacity: at most <paramref name="MaxWaitMinutes"/> (1 to 10080), ahead of lower <paramref name="Priority"/> (0 to 9, higher first; equal: oldest first).</summary>
public sealed record QueueTermsBody(int MaxWaitMinutes, int Priority = 0);
