using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// <see cref="IReportsQueueReceiver"/> over the bus (AMQP 1.0 or in-memory): a peek-lock consumer of
/// <see cref="QueueNames.Reports"/>. A message <c>process</c> returns from is completed; one it throws on is
/// abandoned, and the bus dead-letters it after <see cref="ConsumerOptions.MaxDeliveryAttempts"/>. The bus has
/// already decoded the message (it dead-letters what doesn't decode); it is encoded again for the intake, which takes
/// the bytes as the Functions host delivers them.
/// </summary>
public sealed class BusReportsQueueReceiver(IMessageBus bus, ConsumerOptions? options = null) : IReportsQueueReceiver
{
    public async Task ReceiveAsync(Func<ReceivedReport, CancellationToken, Task> process, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(process);
        var consumer = await bus.StartConsumerAsync(
            QueueNames.Reports,
            async (message, ct) =>
            {
                await process(new ReceivedReport(MessageCodec.Encode(message.Message), message.MessageId, message.DeliveryAttempt, null), ct);
                return Settlement.Complete;
            },
            options,
            cancellationToken);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Let handlers in flight settle, but not for longer than a host shutdown allows.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await consumer.StopAsync(stopping.Token);
            await consumer.DisposeAsync();
        }
    }
}
