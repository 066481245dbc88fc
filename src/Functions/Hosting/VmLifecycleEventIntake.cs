using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Rejections;
using System.Text.Json;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// The one path every VM lifecycle event takes (VmLifecycleEvents function or the local Event Grid endpoint):
/// refuse what can never be processed (recorded, reported as success), hand the rest to <see cref="VmLifecycleEventHandler"/>.
/// </summary>
public sealed partial class VmLifecycleEventIntake(
    VmLifecycleEventHandler handler,
    RejectedMessageStore rejectedMessages,
    TimeProvider timeProvider,
    ILogger<VmLifecycleEventIntake> logger)
{
    /// <exception cref="TriggerFailureException">The event could not be handled now; redeliver it.</exception>
    public async Task<InvocationOutcome> ProcessAsync(JsonElement element, string trigger, CancellationToken cancellationToken)
    {
        var resourceEvent = EventGridEventReader.Read(element, out var problem);
        if (resourceEvent is null)
        {
            var excerpt = element.ValueKind == JsonValueKind.Undefined ? string.Empty : element.GetRawText();
            excerpt = excerpt[..Math.Min(excerpt.Length, RejectedMessage.MaxExcerptLength)];
            await rejectedMessages.RecordAsync(
                new RejectedMessage(trigger, null, RejectionCodes.MalformedEvent, problem!, timeProvider.GetUtcNow(), excerpt),
                cancellationToken);
            LogRejected(trigger, problem!);
            return new InvocationOutcome(InvocationOutcome.Rejected, RejectionCodes.MalformedEvent, problem);
        }

        try
        {
            await handler.HandleAsync(resourceEvent, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not TriggerFailureException)
        {
            throw new TriggerFailureException(
                RejectionCodes.HandlerFailed,
                $"Handling event {resourceEvent.Id} ({resourceEvent.EventType}, {resourceEvent.OperationName ?? "no operation"}) failed: {ex.Message}",
                ex);
        }

        LogHandled(resourceEvent.Id, resourceEvent.EventType, resourceEvent.OperationName, trigger);
        return new InvocationOutcome(InvocationOutcome.Processed, null, $"{resourceEvent.EventType} {resourceEvent.Id}");
    }

    [LoggerMessage(EventId = 2021, Level = LogLevel.Information, Message = "Handled event {EventId} {EventType} {OperationName} received by {Trigger}")]
    private partial void LogHandled(string eventId, string eventType, string? operationName, string trigger);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "Rejected an event received by {Trigger}: {Reason}")]
    private partial void LogRejected(string trigger, string reason);
}
