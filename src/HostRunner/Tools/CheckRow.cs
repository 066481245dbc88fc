namespace GpuAutomation.HostRunner.Tools;

/// <summary>One row of <c>HostRunner check</c>: the assumption the agent makes, what was read, the verdict and what to do.</summary>
public sealed record CheckRow(string Assumption, string Read, CheckVerdict Verdict, string Action);
