using System.Diagnostics;
using System.Diagnostics.Metrics;
using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Messaging.Diagnostics;

/// <summary>
/// The bus's spans and metrics, one source and one meter named <see cref="Name"/>. Attribute names follow the
/// OpenTelemetry messaging conventions (https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/);
/// ids are message, command and request ids, never a body, token or key.
/// </summary>
public static class MessagingTelemetry
{
    public const string Name = "GpuAutomation.Messaging";

    public const string RequestIdAttribute = "gpu.request.id";
    public const string CommandIdAttribute = "gpu.command.id";
    public const string MessageTypeAttribute = "gpu.message.type";

    internal static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Published = Meter.CreateCounter<long>(
        "gpu.bus.published", "{message}", "Messages the broker accepted, by queue kind and message type.");

    private static readonly Counter<long> PublishFailures = Meter.CreateCounter<long>(
        "gpu.bus.publish_failures", "{message}", "Publishes that failed (after the adapter's own retries), by queue kind, message type and error code.");

    private static readonly Counter<long> Consumed = Meter.CreateCounter<long>(
        "gpu.bus.consumed", "{message}", "Deliveries handled, by queue kind, message type and settlement (complete, abandon, dead-letter).");

    private static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>(
        "gpu.bus.dead_lettered", "{message}", "Messages the consumer dead-lettered, by queue kind and reason code.");

    /// <summary>Starts the producer span of one publish; the adapters write its context into the message (<see cref="TraceContextProperties"/>).</summary>
    internal static Activity? StartPublish(string system, string queue, Message message)
    {
        var activity = Source.StartActivity("publish " + QueueKind(queue), ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", system);
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.destination.name", queue);
            Describe(activity, message);
        }

        return activity;
    }

    /// <summary>
    /// One publish inside its producer span (the adapter's send reads the span's context into the message), counted as
    /// published or failed: the one way every adapter traces a publish.
    /// </summary>
    internal static async Task PublishAsync(string system, string queue, Message message, Func<Task> send)
    {
        using var activity = StartPublish(system, queue, message);
        try
        {
            await send();
        }
        catch (Exception ex)
        {
            PublishFailed(activity, queue, message, ex);
            throw;
        }

        PublishSucceeded(queue, message);
    }

    internal static void PublishSucceeded(string queue, Message message)
        => Published.Add(1, new TagList { { "queue", QueueKind(queue) }, { MessageTypeAttribute, message.Envelope.MessageType } });

    internal static void PublishFailed(Activity? activity, string queue, Message message, Exception exception)
    {
        var code = exception is MessagingException m ? m.Code : exception.GetType().Name;
        activity?.SetStatus(ActivityStatusCode.Error, code);
        activity?.SetTag("error.type", code);
        PublishFailures.Add(1, new TagList { { "queue", QueueKind(queue) }, { MessageTypeAttribute, message.Envelope.MessageType }, { "error.type", code } });
    }

    /// <summary>Starts the consumer span of one delivery as a child of the context the publisher sent.</summary>
    internal static Activity? StartProcess(string queue, string? messageId, string? traceParent, string? traceState)
    {
        var parent = TraceContextProperties.Parse(traceParent, traceState);
        var activity = Source.StartActivity("process " + QueueKind(queue), ActivityKind.Consumer, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", queue);
            activity.SetTag("messaging.message.id", messageId);
        }

        return activity;
    }

    internal static void Describe(Activity? activity, Message message)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        var envelope = message.Envelope;
        activity.SetTag(MessageTypeAttribute, envelope.MessageType);
        activity.SetTag("messaging.message.id", envelope.MessageId);
        activity.SetTag("messaging.message.conversation_id", envelope.CorrelationId);
        if (MessageTypes.IsCommand(envelope.MessageType))
        {
            activity.SetTag(CommandIdAttribute, envelope.MessageId);
        }

        if (envelope.CorrelationId is { } requestId)
        {
            activity.SetTag(RequestIdAttribute, requestId);
        }
    }

    internal static void Settled(Activity? activity, string queue, string? messageType, Settlement settlement)
    {
        var kind = settlement.Kind switch
        {
            SettlementKind.Complete => "complete",
            SettlementKind.Abandon => "abandon",
            _ => "dead-letter",
        };
        activity?.SetTag("gpu.settlement", kind);
        var queueKind = QueueKind(queue);
        Consumed.Add(1, new TagList { { "queue", queueKind }, { MessageTypeAttribute, messageType ?? "undecodable" }, { "gpu.settlement", kind } });
        if (settlement.Kind == SettlementKind.DeadLetter)
        {
            activity?.SetStatus(ActivityStatusCode.Error, settlement.Reason);
            DeadLettered.Add(1, new TagList { { "queue", queueKind }, { "reason", settlement.Reason } });
        }
        else if (settlement.Kind == SettlementKind.Abandon)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "abandoned");
        }
    }

    /// <summary>
    /// "commands" or "reports" (or the name itself for any other queue): metric series stay one per kind rather than
    /// one per node, and span names stay few; the full queue name is the messaging.destination.name attribute.
    /// </summary>
    internal static string QueueKind(string queue)
        => queue.StartsWith(Topology.QueueNames.Prefix + "commands.", StringComparison.Ordinal) ? "commands"
            : queue == Topology.QueueNames.Reports ? "reports"
            : queue;
}
