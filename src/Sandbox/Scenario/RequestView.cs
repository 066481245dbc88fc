using System.Text.Json.Nodes;
using GpuAutomation.Functions.Api;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>A partition request as the API shows it (<see cref="PartitionRequestView"/>).</summary>
public sealed class RequestView(PartitionRequestView view)
{
    private static readonly string[] TerminalStatuses = ["Succeeded", "Failed", "Rejected", "TimedOut", "Expired", "Cancelled"];

    public PartitionRequestView View { get; } = view;

    public string Id => View.Id;

    public string Status => View.Status;

    public string? Vm => View.Vm;

    public string? Node => View.Node;

    public string? Origin => View.Origin;

    public string? Action => View.Action;

    public string? ErrorCode => View.Error?.Code;

    public string? ErrorMessage => View.Error?.Message;

    public int StepCount => View.Steps.Count;

    public bool IsTerminal => TerminalStatuses.Contains(Status, StringComparer.Ordinal);

    public bool Is(string status) => string.Equals(Status, status, StringComparison.Ordinal);

    public static RequestView From(JsonNode? body) => new(ApiBodies.Read(body, ApiJsonContext.Default.PartitionRequestView));

    /// <summary>
    /// Every request in an answer: one request (202 to a submission, GET by id), a list page, or a cluster-wide
    /// partition count change (each read strictly as the API's own record).
    /// </summary>
    public static IReadOnlyList<RequestView> All(JsonNode body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body is JsonObject o && o.ContainsKey("requests"))
        {
            var requests = o.ContainsKey("warnings")
                ? ApiBodies.Read(body, ApiJsonContext.Default.PartitionCountChangeView).Requests
                : ApiBodies.Read(body, ApiJsonContext.Default.PartitionRequestListView).Requests;
            return [.. requests.Select(r => new RequestView(r))];
        }

        return [From(body)];
    }

    public override string ToString() => $"{Id} {Action} {Vm} {Status}{(ErrorCode is null ? string.Empty : $" ({ErrorCode}: {ErrorMessage})")}";
}
