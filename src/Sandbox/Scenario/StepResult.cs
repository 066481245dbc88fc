namespace GpuAutomation.Sandbox.Scenario;

/// <summary>How one scenario step went: whether it did what was expected, what was seen, and the requests involved.</summary>
public sealed record StepResult(string Title, bool Passed, string Detail, IReadOnlyList<RequestView> Requests, TimeSpan Elapsed);
