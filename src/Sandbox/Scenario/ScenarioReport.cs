using GpuAutomation.Functions.Api;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>Every step's result, the rollout plan the scenario applied (if it got that far), and the inventory the control plane shows at the end.</summary>
public sealed record ScenarioReport(IReadOnlyList<ScenarioStep> Steps, ClusterView? FinalInventory, RolloutPlanView? RolloutPlan = null)
{
    public bool Passed => Steps.Count > 0 && Steps.All(s => s.Passed);
}
