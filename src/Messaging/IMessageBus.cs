using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Messaging;

/// <summary>
/// The bus both sides talk through: publish a message to a queue, consume a queue with a handler.
/// Delivery is at least once; consumers de-duplicate by <see cref="Envelope.MessageId"/>.
/// </summary>
public interface IMessageBus : IAsyncDisposable
{
    /// <summary>Publishes <paramref name="message"/> to <paramref name="queue"/>; returns once the broker has accepted it.</summary>
    Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts delivering the messages of <paramref name="queue"/> to <paramref name="handler"/>, at most
    /// <see cref="ConsumerOptions.MaxConcurrency"/> at a time, each settled as the handler's <see cref="Settlement"/> says.
    /// </summary>
    Task<IMessageConsumer> StartConsumerAsync(
        string queue,
        MessageHandler handler,
        ConsumerOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks the broker whether this bus's identity may <paramref name="access"/> <paramref name="queue"/>, without sending,
    /// receiving or creating anything: the broker must grant the link (and, for <see cref="ProbeAccess.Receive"/> on
    /// Service Bus, answer a peek). Honours <paramref name="cancellationToken"/> as the time box; the SDK's own retries
    /// of transient failures run inside it.
    /// </summary>
    /// <exception cref="MessagingException">
    /// queue-not-found (no such queue), unauthorized (credentials, token or rights refused), broker-unavailable (not
    /// reachable), queue-refused (another refusal, e.g. a disabled entity), bus-closed.
    /// </exception>
    Task<ProbeResult> ProbeAsync(string queue, ProbeAccess access, CancellationToken cancellationToken = default);
}
