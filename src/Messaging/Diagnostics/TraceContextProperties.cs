using System.Diagnostics;

namespace GpuAutomation.Messaging.Diagnostics;

/// <summary>
/// W3C trace context in a message's application properties, named and written as the Service Bus SDK does it
/// (azure-sdk-for-net sdk/core/Azure.Core/src/Shared/MessagingClientDiagnostics.cs, InstrumentMessage): "Diagnostic-Id"
/// holds the producer span's traceparent, and "traceparent"/"tracestate" carry the same context under their W3C names.
/// A consumer reads traceparent first and falls back to Diagnostic-Id (TryExtractTraceContext there), so messages from
/// the SDK's own instrumentation, from older SDKs (Diagnostic-Id only) and from our adapters all continue the trace.
/// Every adapter writes the same three properties, so a message crossing RabbitMQ carries what one crossing Service Bus does.
/// </summary>
public static class TraceContextProperties
{
    public const string DiagnosticId = "Diagnostic-Id";
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// <summary>The context to send: the current span's, when it is a W3C span (the producer span the adapters start).</summary>
    public static (string TraceParent, string? TraceState)? Current()
        => Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id } activity ? (id, activity.TraceStateString) : null;

    /// <summary>Writes the current context into <paramref name="properties"/>; nothing when there is no current span.</summary>
    public static void Inject(IDictionary<string, object> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        if (Current() is not { } context)
        {
            return;
        }

        properties[DiagnosticId] = context.TraceParent;
        properties[TraceParent] = context.TraceParent;
        if (context.TraceState is { } state)
        {
            properties[TraceState] = state;
        }
    }

    /// <summary>The sender's context from a property lookup: traceparent (with tracestate), else Diagnostic-Id.</summary>
    public static (string? TraceParent, string? TraceState) Extract(Func<string, object?> property)
    {
        ArgumentNullException.ThrowIfNull(property);
        if (property(TraceParent) is string traceParent)
        {
            return (traceParent, property(TraceState) as string);
        }

        // The trace state is not valid without its traceparent, so none is read beside the legacy property (as the SDK does).
        return (property(DiagnosticId) as string, null);
    }

    /// <summary>The parent context a consumer continues, or default when the message carried none or an invalid one.</summary>
    public static ActivityContext Parse(string? traceParent, string? traceState)
        => traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
}
