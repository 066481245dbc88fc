namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>GET /api/health</c>.</summary>
/// <param name="Status">"ok" whenever the handler answers.</param>
/// <param name="Mode">FunctionsHost or Local.</param>
/// <param name="Version">The handler's informational version.</param>
public sealed record HealthReport(string Status, string Mode, string Version);
