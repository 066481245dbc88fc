namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>One request a rollout submitted in its current phase.</summary>
/// <param name="Target">The VM id or node the request is for.</param>
/// <param name="Attempts">Submissions so far: a refusal that depends on state (a node still busy) is submitted again.</param>
public sealed record RolloutStepRun(string Target, string RequestId, int Attempts);
