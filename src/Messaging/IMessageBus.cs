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
}
