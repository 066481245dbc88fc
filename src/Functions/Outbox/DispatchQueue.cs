using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.Functions.Outbox;

/// <summary>
/// Commands whose requests were accepted and written with their outbox rows, waiting to be published. A submitter
/// answers once that write is done, so neither a slow bus nor the dispatch's own write is on the caller's path; the
/// <see cref="DispatchRelay"/> publishes them at once. The outbox row is the durable copy: whatever this queue holds
/// when the process stops, or can't take, is delivered by the outbox sweep.
/// </summary>
public sealed partial class DispatchQueue(CommandDispatcher dispatcher, ILogger<DispatchQueue> logger)
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
            LogLeftToSweep(logger, pending.Entry.CommandId, pending.Entry.RequestId, Capacity);
        }
    }

    /// <summary>Publishes commands as they arrive until <paramref name="stopping"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken stopping)
        => Task.WhenAll(Enumerable.Range(0, Relays).Select(_ => RelayAsync(stopping)));

    private async Task RelayAsync(CancellationToken stopping)
    {
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                await DispatchWaitingAsync(stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Publishes every command waiting now; what <paramref name="cancellationToken"/> cuts short stays for the sweep.</summary>
    /// <returns>How many the bus took.</returns>
    public async Task<int> DispatchWaitingAsync(CancellationToken cancellationToken)
    {
        var published = 0;
        while (!cancellationToken.IsCancellationRequested && _pending.Reader.TryRead(out var pending))
        {
            try
            {
                if (await dispatcher.DispatchAsync(pending.Entry, pending.Written, cancellationToken).ConfigureAwait(false))
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Command {CommandId} of request {RequestId} is left to the outbox sweep: {Capacity} commands are already waiting to be published")]
    private static partial void LogLeftToSweep(ILogger logger, string commandId, string requestId, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dispatching command {CommandId} of request {RequestId} failed; the outbox sweep will retry")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception, string commandId, string requestId);
}
