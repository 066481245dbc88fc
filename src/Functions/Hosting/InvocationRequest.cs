using System.Text.Json;

namespace GpuAutomation.Functions.Hosting;

/// <summary>What the Functions host posts to <c>/&lt;FunctionName&gt;</c>: trigger values by binding name, and trigger metadata.</summary>
public sealed record InvocationRequest(
    Dictionary<string, JsonElement>? Data,
    Dictionary<string, JsonElement>? Metadata);
