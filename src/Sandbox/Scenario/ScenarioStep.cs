namespace GpuAutomation.Sandbox.Scenario;

/// <summary>One step of a played scenario: passed or not, what it saw, the requests it made, how long it took.</summary>
public sealed record ScenarioStep(string Title, bool Passed, string Detail, IReadOnlyList<RequestView> Requests, TimeSpan Elapsed);
