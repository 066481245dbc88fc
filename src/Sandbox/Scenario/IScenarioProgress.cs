namespace GpuAutomation.Sandbox.Scenario;

/// <summary>Where the scenario tells what it is doing (the console display, or nothing in tests).</summary>
public interface IScenarioProgress
{
    void StepStarted(int index, int count, string title);

    void StepActivity(string activity);

    void StepFinished(ScenarioStep result);
}
