namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// An emulated Msvm_ConcreteJob: Running until <see cref="CompletesAt"/>, then its effect runs once and decides
/// Completed (7) or Exception (10). A hung job never completes.
/// </summary>
internal sealed class EmulatedJob(string id, DateTimeOffset startedAt, DateTimeOffset completesAt, Func<(uint ErrorCode, string Description)?> effect)
{
    public string Id { get; } = id;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public DateTimeOffset CompletesAt { get; set; } = completesAt;

    public bool Hung { get; set; }

    public ushort JobState { get; private set; } = 4;

    public uint ErrorCode { get; private set; }

    public string? ErrorDescription { get; private set; }

    public bool IsFinished => JobState >= 7;

    public void Finish()
    {
        if (IsFinished)
        {
            return;
        }

        var error = effect();
        if (error is { } e)
        {
            JobState = 10;
            ErrorCode = e.ErrorCode;
            ErrorDescription = e.Description;
        }
        else
        {
            JobState = 7;
        }
    }

    public ushort PercentComplete(DateTimeOffset now)
    {
        if (IsFinished)
        {
            return 100;
        }

        var total = (CompletesAt - StartedAt).TotalMilliseconds;
        return Hung || total <= 0 ? (ushort)50 : (ushort)Math.Clamp((now - StartedAt).TotalMilliseconds * 100 / total, 0, 99);
    }
}
