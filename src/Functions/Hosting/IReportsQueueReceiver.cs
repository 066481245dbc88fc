namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Local trigger mode's seam to the bus: receives from the reports queue (peek-lock) and calls
/// <c>process</c> for each message. Completes the message when <c>process</c> returns; abandons it when
/// <c>process</c> throws, so the broker redelivers it (and dead-letters it after its delivery limit).
/// Implemented over src/Messaging's transports (AMQP 1.0 or in-memory).
/// </summary>
public interface IReportsQueueReceiver
{
    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled.</summary>
    Task ReceiveAsync(Func<ReceivedReport, CancellationToken, Task> process, CancellationToken cancellationToken);
}
