namespace GpuAutomation.ControlPlane.Reports;

/// <summary>What the intake did with a report: changed stored state, changed nothing (duplicate, late, stale), or refused it.</summary>
public sealed record ReportVerdict(bool Changed, ReportRefusal? Refusal = null)
{
    public static readonly ReportVerdict Unchanged = new(false);

    public static readonly ReportVerdict Applied = new(true);

    public bool Refused => Refusal is not null;
}
