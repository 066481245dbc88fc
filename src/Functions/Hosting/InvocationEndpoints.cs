using System.Globalization;
using System.Text.Json;
using GpuAutomation.Messaging.Diagnostics;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// The custom handler invocation protocol for the non-HTTP functions: <c>POST /&lt;FunctionName&gt;</c> with
/// {Data, Metadata}, answered with {Outputs, Logs, ReturnValue} — always JSON. A non-2xx status tells the host to
/// fail the invocation (Service Bus: abandon and redeliver; Event Grid: redeliver the batch; timer: log it).
/// </summary>
public static partial class InvocationEndpoints
{
    /// <summary>Largest invocation body accepted: a 256 KB Service Bus message as base64 plus metadata, or a 1 MB Event Grid batch.</summary>
    public const long MaxInvocationBytes = 2 * 1024 * 1024;

    public static IEndpointRouteBuilder MapFunctionInvocations(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(string.Empty).ExcludeFromDescription();
        group.MapPost("/" + FunctionNames.HostReports, HostReportsAsync);
        group.MapPost("/" + FunctionNames.VmLifecycleEvents, VmLifecycleEventsAsync);
        group.MapPost("/" + FunctionNames.ComplianceScan, ComplianceScanAsync);
        group.MapPost("/" + FunctionNames.OutboxSweep, OutboxSweepAsync);
        return endpoints;
    }

    private static Task HostReportsAsync(HttpContext context, HostReportIntake intake)
        => InvokeAsync(context, FunctionNames.HostReports, async (request, logs, ct) =>
        {
            var payload = RequireBinding(request, FunctionNames.HostReports, FunctionNames.HostReportsBinding);
            var metadata = request.Metadata;
            var delivery = new ReportDelivery(
                FunctionNames.HostReports,
                MetadataString(metadata, "MessageId"),
                (int)Math.Clamp(MetadataInteger(metadata, "DeliveryCount") ?? 1, 1, int.MaxValue),
                MetadataTime(metadata, "EnqueuedTimeUtc"),
                SenderToken(metadata),
                TraceParent(metadata));
            var outcome = await intake.ProcessAsync(InvocationValue.ReadBytes(payload), delivery, ct);
            logs.Add($"{outcome.Status}: {outcome.Code ?? outcome.Detail}");
            return outcome;
        });

    private static Task VmLifecycleEventsAsync(HttpContext context, VmLifecycleEventIntake intake)
        => InvokeAsync(context, FunctionNames.VmLifecycleEvents, async (request, logs, ct) =>
        {
            var payload = RequireBinding(request, FunctionNames.VmLifecycleEvents, FunctionNames.VmLifecycleEventsBinding);

            // Undefined (unreadable) goes to the intake, which records it as rejected: a malformed event never improves.
            var element = InvocationValue.ReadJson(payload) ?? default;
            var outcome = await intake.ProcessAsync(element, FunctionNames.VmLifecycleEvents, ct);
            logs.Add($"{outcome.Status}: {outcome.Code ?? outcome.Detail}");
            return outcome;
        });

    private static Task ComplianceScanAsync(HttpContext context, ScheduledWork work, TimeProvider timeProvider)
        => TimerAsync(context, timeProvider, FunctionNames.ComplianceScan, work.ComplianceScanAsync);

    private static Task OutboxSweepAsync(HttpContext context, ScheduledWork work, TimeProvider timeProvider)
        => TimerAsync(context, timeProvider, FunctionNames.OutboxSweep, work.OutboxSweepAsync);

    private static Task TimerAsync(HttpContext context, TimeProvider timeProvider, string function, Func<TimerTick, CancellationToken, Task<string>> run)
        => InvokeAsync(context, function, async (request, logs, ct) =>
        {
            var tick = ReadTick(request, function, timeProvider);
            var detail = await run(tick, ct);
            logs.Add(detail);
            return new InvocationOutcome(InvocationOutcome.Processed, null, detail);
        });

    private static JsonElement RequireBinding(InvocationRequest request, string function, string binding)
        => InvocationValue.Find(request.Data, binding)
            ?? throw new TriggerFailureException(
                RejectionCodes.MissingBinding,
                $"Data has no '{binding}' binding; check {function}/function.json.");

    private static async Task InvokeAsync(
        HttpContext context,
        string function,
        Func<InvocationRequest, List<string>, CancellationToken, Task<InvocationOutcome>> invoke)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(InvocationEndpoints).FullName!);
        var invocationId = context.Request.Headers["X-Azure-Functions-InvocationId"].ToString();
        using var scope = logger.BeginScope(new Dictionary<string, object?> { ["InvocationId"] = invocationId, ["Function"] = function });
        var ct = context.RequestAborted;
        var logs = new List<string>();
        InvocationRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, HostingJsonContext.Default.InvocationRequest, ct);
        }
        catch (JsonException ex)
        {
            LogFailed(logger, function, RejectionCodes.MalformedInvocation, ex.Message);
            await WriteAsync(context, StatusCodes.Status400BadRequest, logs, new InvocationOutcome(InvocationOutcome.Failed, RejectionCodes.MalformedInvocation, $"The {function} invocation body is not valid JSON: {ex.Message}"));
            return;
        }

        if (request is null)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, logs, new InvocationOutcome(InvocationOutcome.Failed, RejectionCodes.MalformedInvocation, $"The {function} invocation body is JSON null."));
            return;
        }

        try
        {
            var outcome = await invoke(request, logs, ct);
            await WriteAsync(context, StatusCodes.Status200OK, logs, outcome);
        }
        catch (TriggerFailureException ex)
        {
            LogFailed(logger, function, ex.Code, ex.Message);
            logs.Add($"failed: {ex.Code}: {ex.Message}");
            await WriteAsync(context, StatusCodes.Status500InternalServerError, logs, new InvocationOutcome(InvocationOutcome.Failed, ex.Code, ex.Message));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Any other failure still gets a JSON body: the host needs one to end the invocation promptly.
            LogFailed(logger, function, RejectionCodes.HandlerFailed, ex.Message);
            logs.Add($"failed: {RejectionCodes.HandlerFailed}: {ex.Message}");
            await WriteAsync(context, StatusCodes.Status500InternalServerError, logs, new InvocationOutcome(InvocationOutcome.Failed, RejectionCodes.HandlerFailed, $"{function} failed: {ex.Message}"));
        }
    }

    /// <summary>The tick of a timer invocation: past due and the last scheduled run when the timer binding says so.</summary>
    private static TimerTick ReadTick(InvocationRequest request, string function, TimeProvider timeProvider)
    {
        var timer = InvocationValue.Find(request.Data, FunctionNames.TimerBinding) is { } value ? InvocationValue.ReadJson(value) : null;
        var isPastDue = false;
        DateTimeOffset? last = null;
        if (timer is { ValueKind: JsonValueKind.Object } t)
        {
            isPastDue = t.TryGetProperty("IsPastDue", out var pastDue) && pastDue.ValueKind == JsonValueKind.True;
            if (t.TryGetProperty("ScheduleStatus", out var status) && status.ValueKind == JsonValueKind.Object
                && status.TryGetProperty("Last", out var lastElement) && lastElement.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(lastElement.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                last = parsed;
            }
        }

        return new TimerTick(function, timeProvider.GetUtcNow(), isPastDue, last);
    }

    /// <summary>
    /// The sender-token application property. The Service Bus extension puts a message's application properties in
    /// Metadata as ApplicationProperties (and, for older consumers, UserProperties) — reference
    /// functions-custom-handler.md, "Service Bus trigger"; decoded defensively (inline object or encoded JSON).
    /// </summary>
    /// <summary>
    /// The sender's trace context from the same application properties, read as the Service Bus SDK reads it
    /// (traceparent, else Diagnostic-Id: MessagingClientDiagnostics.TryExtractTraceContext), so the intake joins the
    /// agent's trace whether or not the Functions host traced the trigger itself.
    /// </summary>
    private static string? TraceParent(Dictionary<string, JsonElement>? metadata)
    {
        var properties = InvocationValue.Find(metadata, "ApplicationProperties") ?? InvocationValue.Find(metadata, "UserProperties");
        if (properties is not { } element || InvocationValue.ReadJson(element) is not { ValueKind: JsonValueKind.Object } map)
        {
            return null;
        }

        return TraceContextProperties.Extract(name => map.TryGetProperty(name, out var value) ? InvocationValue.ReadString(value) : null).TraceParent;
    }

    private static string? SenderToken(Dictionary<string, JsonElement>? metadata)
    {
        var properties = InvocationValue.Find(metadata, "ApplicationProperties") ?? InvocationValue.Find(metadata, "UserProperties");
        return properties is { } element
            && InvocationValue.ReadJson(element) is { ValueKind: JsonValueKind.Object } map
            && map.TryGetProperty(Contracts.Messaging.Message.SenderTokenProperty, out var token)
            ? InvocationValue.ReadString(token)
            : null;
    }

    private static string? MetadataString(Dictionary<string, JsonElement>? metadata, string name) => InvocationValue.Get(metadata, name);

    private static long? MetadataInteger(Dictionary<string, JsonElement>? metadata, string name)
        => InvocationValue.Find(metadata, name) is { } element ? InvocationValue.ReadInteger(element) : null;

    private static DateTimeOffset? MetadataTime(Dictionary<string, JsonElement>? metadata, string name)
        => MetadataString(metadata, name) is { } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : null;

    private static async Task WriteAsync(HttpContext context, int status, List<string> logs, InvocationOutcome outcome)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(
            context.Response.Body,
            new InvocationResponse([], logs, outcome),
            HostingJsonContext.Default.InvocationResponse,
            context.RequestAborted);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "{Function} invocation failed: {Code}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string function, string code, string reason);
}
