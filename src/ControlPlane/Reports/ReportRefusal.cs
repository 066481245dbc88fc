namespace GpuAutomation.ControlPlane.Reports;

/// <summary>Why a report was refused: a <see cref="ReportRefusalCodes"/> code and a reason naming the values.</summary>
public sealed record ReportRefusal(string Code, string Reason);
