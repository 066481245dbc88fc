namespace GpuAutomation.Sandbox.Scenario;

/// <summary>Every step's result and the inventory the control plane shows at the end.</summary>
public sealed record ScenarioReport(IReadOnlyList<ScenarioStep> Steps, ClusterView? FinalInventory)
{
    public bool Passed => Steps.Count > 0 && Steps.All(s => s.Passed);
}
