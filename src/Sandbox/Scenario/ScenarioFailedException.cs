namespace GpuAutomation.Sandbox.Scenario;

/// <summary>A step saw something other than expected; the message says what was expected and what was seen.</summary>
public sealed class ScenarioFailedException(string message) : Exception(message);
