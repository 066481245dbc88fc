using GpuAutomation.ControlPlane;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Outbox;

/// <summary>
/// Commands whose requests were accepted and written with their outbox rows, waiting to be published. A submitter
/// answers once that write is done, so neither a slow bus nor the dispatch's own write is on the caller's path; the
/// <see cref="DispatchRelay"/> publishes them at once. The outbox row is the durable copy: whatever this queue holds
/// when the process stops, can't take, or holds for longer than the outbox grace period (from then on the sweep
/// publishes it) is left to the outbox sweep.
/// </summary>
public sealed partial class DispatchQueue(
    CommandDispatcher dispatcher,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<DispatchQueue> logger)
{
    /// <summary>Beyond this many waiting commands (a bus that stopped answering) the sweep takes over.</summary>
    public const int Capacity = 10_000;

    /// <summary>Commands published at once, so one slow publish doesn't hold up the rest.</summary>
    private const int Relays = 4;

    private readonly Channel<PendingDispatch> _pending = Channel.CreateBounded<PendingDispatch>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait });

    public void Enqueue(PendingDispatch pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (!_pending.Writer.TryWrite(pending))
        {
            LogLeftToSweep(logger, pending.Entry.CommandId, pending.Entry.RequestId, $"{Capacity} commands are already waiting to be published");
        }
    }

    /// <summary>
    /// Publishes commands as they arrive until <paramref name="stopping"/> is cancelled; a dispatch under way then
    /// still finishes unless <paramref name="abandon"/> is cancelled too.
    /// </summary>
    public Task RunAsync(CancellationToken stopping, CancellationToken abandon)
        => Task.WhenAll(Enumerable.Range(0, Relays).Select(_ => RelayAsync(stopping, abandon)));

    /// <summary>Publishes every command waiting now; what <paramref name="cancellationToken"/> cuts short stays for the sweep.</summary>
    /// <returns>How many the bus took.</returns>
    public async Task<int> DispatchWaitingAsync(CancellationToken cancellationToken)
    {
        var published = 0;
        while (!cancellationToken.IsCancellationRequested && _pending.Reader.TryRead(out var pending))
        {
            if (time.GetUtcNow() - pending.Entry.CreatedAt > options.Value.OutboxGracePeriod)
            {
                LogLeftToSweep(logger, pending.Entry.CommandId, pending.Entry.RequestId, "it waited longer than the outbox grace period");
                continue;
            }

            try
            {
                if (await dispatcher.DispatchAsync(pending.Entry, pending.Written, cancellationToken))
                {
                    published++;
                }
            }
#pragma warning disable CA1031 // One command's failure must not stop the others: its outbox row is still there for the sweep.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogDispatchFailed(logger, ex, pending.Entry.CommandId, pending.Entry.RequestId);
            }
        }

        return published;
    }

    private async Task RelayAsync(CancellationToken stopping, CancellationToken abandon)
    {
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stopping))
            {
                await DispatchWaitingAsync(abandon);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Command {CommandId} of request {RequestId} is left to the outbox sweep: {Reason}")]
    private static partial void LogLeftToSweep(ILogger logger, string commandId, string requestId, string reason);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "Dispatching command {CommandId} of request {RequestId} failed; the outbox sweep will retry")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception, string commandId, string requestId);
}
