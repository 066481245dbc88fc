using System.Text.Json;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// What the handler answers the host. Always a JSON object: an empty body leaves the invocation hanging.
/// <see cref="ReturnValue"/> is an object, never a bare string (the host turns strings that look like base64 into bytes).
/// </summary>
public sealed record InvocationResponse(
    Dictionary<string, JsonElement> Outputs,
    IReadOnlyList<string> Logs,
    InvocationOutcome? ReturnValue);
