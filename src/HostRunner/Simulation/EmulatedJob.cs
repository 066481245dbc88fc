namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// An emulated Msvm_ConcreteJob: Running (or Service, 11) until <see cref="CompletesAt"/>, then its effect runs once
/// and decides Completed (7, or 32768 "completed with warnings") or a failure state (8, 9 or 10, 10 by default).
/// A hung job never completes.
/// </summary>
internal sealed class EmulatedJob(string id, DateTimeOffset startedAt, DateTimeOffset completesAt, Func<(uint ErrorCode, string Description)?> effect)
{
    public const ushort Running = 4;
    public const ushort Completed = 7;
    public const ushort Exception = 10;
    public const ushort Service = 11;
    public const ushort CompletedWithWarnings = 32768;

    public string Id { get; } = id;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public DateTimeOffset CompletesAt { get; set; } = completesAt;

    public bool Hung { get; set; }

    public ushort JobState { get; private set; } = Running;

    /// <summary>The state the job ends in when its effect succeeds: 7, or 32768 for a job that completes with warnings.</summary>
    public ushort SuccessState { get; init; } = Completed;

    /// <summary>The state the job ends in when its effect fails: 8, 9 or 10.</summary>
    public ushort FailureState { get; init; } = Exception;

    /// <summary>Reported while the job runs: 4 Running, or 11 Service.</summary>
    public ushort RunningState
    {
        get => JobState;
        init => JobState = value;
    }

    public uint ErrorCode { get; private set; }

    public string? ErrorDescription { get; private set; }

    public bool IsFinished { get; private set; }

    public void Finish()
    {
        if (IsFinished)
        {
            return;
        }

        IsFinished = true;
        var error = effect();
        if (error is { } e)
        {
            JobState = FailureState;
            ErrorCode = e.ErrorCode;
            ErrorDescription = e.Description;
        }
        else
        {
            JobState = SuccessState;
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
