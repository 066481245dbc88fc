using System.Diagnostics;
using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Outbox;

/// <summary>
/// Publishes an outbox row's command, then marks its request Dispatched and removes the row in one batch; a request
/// that progress or a result overtook is left as it is (never moved back) and only its row goes.
/// </summary>
public sealed partial class CommandDispatcher(
    RequestStore requests,
    IMessageBus bus,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<CommandDispatcher> logger)
{
    /// <param name="written">
    /// The request as the caller just wrote it with <paramref name="entry"/>, when it did: marking it dispatched is
    /// then a single write on its ETag, and a read only when something overtook it.
    /// </param>
    /// <returns>True when the bus took the command; false leaves the row for the sweep.</returns>
    public async Task<bool> DispatchAsync(OutboxEntry entry, StoredRequest? written, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // A child of the span the command was written in (kept on the outbox row): the relay runs after the API call
        // answered, and the sweep maybe minutes later, yet both continue the request's trace.
        using var activity = ControlPlaneTelemetry.Source.StartActivity("dispatch command", ActivityKind.Internal, ControlPlaneTelemetry.Parse(entry.TraceParent));
        activity?.SetTag(ControlPlaneTelemetry.RequestIdAttribute, entry.RequestId);
        activity?.SetTag(ControlPlaneTelemetry.CommandIdAttribute, entry.CommandId);
        activity?.SetTag("gpu.dispatch.late", written is null);
        var command = MessageCodec.Decode(entry.Message.Span);
        try
        {
            await bus.PublishAsync(entry.Queue, command, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ControlPlaneTelemetry.Failed(activity, ex);
            LogPublishFailed(logger, ex, entry.CommandId, entry.RequestId, entry.Queue);
            return false;
        }

        if (written is null || !await TryMarkWrittenAsync(written, entry, cancellationToken))
        {
            await MarkAsync(entry, cancellationToken);
        }

        LogDispatched(logger, entry.CommandId, entry.RequestId, entry.Queue);
        return true;
    }

    /// <returns>False when the request or its outbox row changed since it was written.</returns>
    private async Task<bool> TryMarkWrittenAsync(StoredRequest written, OutboxEntry entry, CancellationToken cancellationToken)
    {
        var dispatched = written.Request with { Status = RequestStatus.Dispatched, UpdatedAt = time.GetUtcNow() };
        try
        {
            await requests.MarkDispatchedAsync(written, dispatched, entry.CommandId, cancellationToken);
            return true;
        }
        catch (StoreException ex) when (ex.IsConflict)
        {
            return false;
        }
    }

    private Task MarkAsync(OutboxEntry entry, CancellationToken cancellationToken)
        => OptimisticRetry.RunAsync(options.Value.MaxConcurrencyAttempts, $"Marking request {entry.RequestId} dispatched", async () =>
        {
            var stored = await requests.GetAsync(entry.Cluster, entry.Node, entry.RequestId, cancellationToken);
            if (stored is null || stored.Request.Status != RequestStatus.Accepted)
            {
                // Progress or a result overtook the dispatch; never move the request back.
                await requests.DeleteOutboxAsync(entry.Cluster, entry.Node, entry.CommandId, cancellationToken);
                return false;
            }

            var dispatched = stored.Request with { Status = RequestStatus.Dispatched, UpdatedAt = time.GetUtcNow() };
            await requests.UpdateAsync(stored, dispatched, null, null, entry.CommandId, cancellationToken);
            return true;
        });

    [LoggerMessage(EventId = 3200, Level = LogLevel.Warning, Message = "Publishing command {CommandId} of request {RequestId} to {Queue} failed; the outbox sweep will retry")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string commandId, string requestId, string queue);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Dispatched command {CommandId} of request {RequestId} to {Queue}")]
    private static partial void LogDispatched(ILogger logger, string commandId, string requestId, string queue);
}
