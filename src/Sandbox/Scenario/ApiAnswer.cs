using System.Net;
using System.Text.Json.Nodes;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>An HTTP answer: status, JSON body when it has one, and the raw text.</summary>
public sealed record ApiAnswer(HttpStatusCode Status, JsonNode? Body, string Text)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>The problem+json "code" of a refusal.</summary>
    public string? ProblemCode => Body is JsonObject o && o["code"] is JsonValue v ? v.GetValue<string>() : null;

    /// <summary>The problem+json "detail" of a refusal.</summary>
    public string? ProblemDetail => Body is JsonObject o && o["detail"] is JsonValue v ? v.GetValue<string>() : null;

    public string Describe() => $"{(int)Status} {Status}: {(Text.Length > 300 ? Text[..300] + "…" : Text)}";
}
