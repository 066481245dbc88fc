using System.Collections.Concurrent;
using System.Diagnostics;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Consuming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.Messaging.InMemory;

/// <summary>
/// The bus in one process, for unit tests and the Sandbox: the same peek-lock, redelivery, failure counting and
/// dead-lettering as the AMQP bus, and messages go through <see cref="MessageCodec"/> just as on the wire.
/// Dead-lettered messages are readable with <see cref="DeadLetters"/>.
/// </summary>
public sealed class InMemoryMessageBus : IMessageBus
{
    private readonly ConcurrentDictionary<string, InMemoryQueue> queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<InMemoryConsumer, byte> consumers = new();
    private readonly TimeProvider time;
    private readonly ILoggerFactory loggers;
    private bool disposed;

    public InMemoryMessageBus(TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        this.time = time ?? TimeProvider.System;
        loggers = loggerFactory ?? NullLoggerFactory.Instance;
    }

    public Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        Queue(queue).Enqueue(InMemoryQueue.From(message, Activity.Current?.Id));
        return Task.CompletedTask;
    }

    /// <summary>Puts raw bytes on a queue as if another client had sent them (for tests of undecodable messages).</summary>
    public void PublishRaw(string queue, ReadOnlyMemory<byte> body, string? messageId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        Queue(queue).Enqueue(new InMemoryQueue.Delivery(messageId, body.ToArray(), null, null, 0));
    }

    public Task<IMessageConsumer> StartConsumerAsync(
        string queue,
        MessageHandler handler,
        ConsumerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(disposed, this);
        options ??= new ConsumerOptions();
        options.Validate();
        var logger = loggers.CreateLogger<InMemoryMessageBus>();
        var processor = new DeliveryProcessor(queue, handler, options, logger);
        var consumer = new InMemoryConsumer(queue, Queue(queue), processor, options, logger, c => consumers.TryRemove(c, out _));
        consumers.TryAdd(consumer, 0);
        consumer.Start();
        return Task.FromResult<IMessageConsumer>(consumer);
    }

    /// <summary>The messages dead-lettered from <paramref name="queue"/>, oldest first.</summary>
    public IReadOnlyList<DeadLetteredMessage> DeadLetters(string queue) => Queue(queue).DeadLetters();

    /// <summary>Messages waiting (not locked) in <paramref name="queue"/>.</summary>
    public int CountReady(string queue) => Queue(queue).ReadyCount;

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        foreach (var consumer in consumers.Keys)
        {
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private InMemoryQueue Queue(string name) => queues.GetOrAdd(name, _ => new InMemoryQueue(time));

    private sealed class InMemoryConsumer(
        string queue,
        InMemoryQueue source,
        DeliveryProcessor processor,
        ConsumerOptions options,
        ILogger logger,
        Action<InMemoryConsumer> onStopped) : IMessageConsumer
    {
        private readonly ConsumerLifetime lifetime = new(options.MaxConcurrency, queue, logger);

        public string Queue => queue;

        public void Start() => lifetime.Workers.Start<InMemoryQueue.Delivery>(
            async ct => await source.ReceiveAsync(ct).ConfigureAwait(false),
            async delivery => source.Settle(delivery, await processor.ProcessAsync(
                delivery.Body, delivery.MessageId, delivery.DeliveryCount, delivery.TraceParent, lifetime.HandlersAborted).ConfigureAwait(false)),
            lifetime.Receiving);

        public async Task StopAsync(CancellationToken cancellationToken = default)
        {
            if (await lifetime.StopAsync(cancellationToken).ConfigureAwait(false))
            {
                onStopped(this);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync().ConfigureAwait(false);
            lifetime.Dispose();
        }
    }
}
