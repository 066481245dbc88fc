using System.Text.Json.Nodes;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>A partition request as the API shows it.</summary>
public sealed class RequestView(JsonObject body)
{
    private static readonly string[] TerminalStatuses = ["Succeeded", "Failed", "Rejected", "TimedOut"];

    public string Id => Json.Text(body, "id") ?? string.Empty;

    public string Status => Json.Text(body, "status") ?? "?";

    public string? Vm => Json.Text(body, "vmName") ?? Json.Text(body, "vm");

    public string? Node => Json.Text(body, "node");

    public string? Origin => Json.Text(body, "origin");

    public string? Action => Json.Text(body, "action");

    public string? ErrorCode => Json.Get(body, "error") is JsonObject e ? Json.Text(e, "code") : null;

    public string? ErrorMessage => Json.Get(body, "error") is JsonObject e ? Json.Text(e, "message") : null;

    public int StepCount => Json.Objects(body, "steps").Count();

    public bool IsTerminal => TerminalStatuses.Contains(Status, StringComparer.OrdinalIgnoreCase);

    public bool Is(string status) => string.Equals(Status, status, StringComparison.OrdinalIgnoreCase);

    /// <summary>Every request in an answer: one request, an array of them, or a page ("requests" / "items").</summary>
    public static IReadOnlyList<RequestView> All(JsonNode body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return body switch
        {
            JsonArray array => [.. array.OfType<JsonObject>().Select(o => new RequestView(o))],
            JsonObject o when Json.Get(o, "requests") is JsonArray a => All(a),
            JsonObject o when Json.Get(o, "items") is JsonArray a => All(a),
            JsonObject o when Json.Text(o, "id") is not null => [new RequestView(o)],
            _ => [],
        };
    }

    public override string ToString() => $"{Id} {Action} {Vm} {Status}{(ErrorCode is null ? string.Empty : $" ({ErrorCode}: {ErrorMessage})")}";
}
