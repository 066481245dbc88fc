using System.Diagnostics;
using System.Diagnostics.Metrics;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Diagnostics;

/// <summary>
/// The control plane's spans and metrics, one source and one meter named <see cref="Name"/>: admission of a request,
/// dispatch of its command, intake of a report. Attributes are ids, names and codes, never tokens or request bodies.
/// Table calls are traced by Azure.Data.Tables itself (its Azure.* sources, which the hosts enable).
/// </summary>
public static class ControlPlaneTelemetry
{
    public const string Name = "GpuAutomation.ControlPlane";

    public const string RequestIdAttribute = "gpu.request.id";
    public const string CommandIdAttribute = "gpu.command.id";

    internal static readonly ActivitySource Source = new(Name);

    internal static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        "gpu.requests", "{request}", "Partition requests submitted, by action, origin and outcome (accepted, rejected, replayed).");

    private static readonly Counter<long> RequestsCompleted = Meter.CreateCounter<long>(
        "gpu.requests.completed", "{request}", "Partition requests that reached an end from a host's result, by action, origin and status.");

    private static readonly Counter<long> Reports = Meter.CreateCounter<long>(
        "gpu.reports", "{report}", "Host reports taken in, by message type and verdict (applied, unchanged, refused).");

    /// <summary>The trace a request was accepted in (the id shown by GET /api/partition-requests/{id}); null when nothing traces.</summary>
    internal static string? CurrentTraceId()
        => Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.TraceId.ToHexString() : null;

    /// <summary>The span a command is written in, kept with its outbox row so its dispatch (now or by the sweep) joins the trace.</summary>
    internal static string? CurrentTraceParent()
        => Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.Id : null;

    internal static Activity? StartAdmission(string name, PartitionAction action, RequestOrigin origin, string cluster)
    {
        var activity = Source.StartActivity(name);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("gpu.action", action.ToString());
            activity.SetTag("gpu.origin", origin.ToString());
            activity.SetTag("gpu.cluster", cluster);
        }

        return activity;
    }

    internal static void Admitted(Activity? activity, PartitionRequest request, bool existing)
    {
        var outcome = existing ? "replayed" : request.Status == RequestStatus.Rejected ? "rejected" : "accepted";
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(RequestIdAttribute, request.Id);
            activity.SetTag(CommandIdAttribute, request.CommandId);
            activity.SetTag("gpu.node", request.Node);
            activity.SetTag("gpu.request.outcome", outcome);
            if (request.Status == RequestStatus.Rejected && request.Error is { } error)
            {
                // A refusal is an answer, not a fault of this span: the code says which.
                activity.SetTag("gpu.rejection", error.Code);
            }
        }

        Requests.Add(1, new TagList { { "gpu.action", request.Action.ToString() }, { "gpu.origin", request.Origin.ToString() }, { "gpu.request.outcome", outcome } });
    }

    internal static void Completed(PartitionRequest request, RequestStatus status)
    {
        Activity.Current?.SetTag("gpu.request.status", status.ToString());
        RequestsCompleted.Add(1, new TagList { { "gpu.action", request.Action.ToString() }, { "gpu.origin", request.Origin.ToString() }, { "gpu.request.status", status.ToString() } });
    }

    internal static void Reported(Activity? activity, string messageType, string verdict)
    {
        activity?.SetTag("gpu.report.verdict", verdict);
        Reports.Add(1, new TagList { { "gpu.message.type", messageType }, { "gpu.report.verdict", verdict } });
    }

    internal static void Failed(Activity? activity, Exception exception)
    {
        var code = exception is ControlPlaneException c ? c.Code : exception.GetType().Name;
        activity?.SetStatus(ActivityStatusCode.Error, code);
        activity?.SetTag("error.type", code);
    }

    /// <summary>Parses a W3C traceparent kept in a store, or default (then the ambient span is the parent).</summary>
    internal static ActivityContext Parse(string? traceParent)
        => traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: false, out var context) ? context : default;
}
