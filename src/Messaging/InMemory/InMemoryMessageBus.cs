using System.Collections.Concurrent;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Consuming;
using GpuAutomation.Messaging.Diagnostics;
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
    private readonly ConcurrentDictionary<string, InMemoryQueue> _queues = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<InMemoryConsumer, byte> _consumers = new();
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private bool _disposed;

    public InMemoryMessageBus(TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        this._time = time ?? TimeProvider.System;
        _loggers = loggerFactory ?? NullLoggerFactory.Instance;
    }

    public Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        using var activity = MessagingTelemetry.StartPublish("in-memory", queue, message);
        Queue(queue).Enqueue(InMemoryQueue.From(message));
        MessagingTelemetry.PublishSucceeded(queue, message);
        return Task.CompletedTask;
    }

    /// <summary>Puts raw bytes on a queue as if another client had sent them (for tests of undecodable messages).</summary>
    public void PublishRaw(string queue, ReadOnlyMemory<byte> body, string? messageId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        Queue(queue).Enqueue(new InMemoryQueue.Delivery(messageId, body.ToArray(), null, InMemoryQueue.NoProperties, 0));
    }

    public Task<IMessageConsumer> StartConsumerAsync(
        string queue,
        MessageHandler handler,
        ConsumerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(_disposed, this);
        options ??= new ConsumerOptions();
        options.Validate();
        var logger = _loggers.CreateLogger<InMemoryMessageBus>();
        var processor = new DeliveryProcessor(queue, handler, options, logger);
        var consumer = new InMemoryConsumer(queue, Queue(queue), processor, options, logger, c => _consumers.TryRemove(c, out _));
        _consumers.TryAdd(consumer, 0);
        consumer.Start();
        return Task.FromResult<IMessageConsumer>(consumer);
    }

    /// <summary>Creates <paramref name="queue"/> if it does not exist, as a deployment creates queues before anything probes them.</summary>
    public void CreateQueue(string queue)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        Queue(queue);
    }

    /// <summary>
    /// In one process there are no rights to check: a queue exists once something published to, consumed from or
    /// created it, and only then is the probe granted.
    /// </summary>
    public Task<ProbeResult> ProbeAsync(string queue, ProbeAccess access, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        cancellationToken.ThrowIfCancellationRequested();
        if (_disposed)
        {
            throw new MessagingException(MessagingErrors.Closed, "The message bus was disposed.");
        }

        return _queues.TryGetValue(queue, out var found)
            ? Task.FromResult(new ProbeResult(queue, access, $"in-memory queue {queue} exists ({found.ReadyCount} ready)"))
            : throw new MessagingException(MessagingErrors.QueueNotFound, $"The in-memory bus has no queue {queue}.");
    }

    /// <summary>The messages dead-lettered from <paramref name="queue"/>, oldest first.</summary>
    public IReadOnlyList<DeadLetteredMessage> DeadLetters(string queue) => Queue(queue).DeadLetters();

    /// <summary>Messages waiting (not locked) in <paramref name="queue"/>.</summary>
    public int CountReady(string queue) => Queue(queue).ReadyCount;

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var consumer in _consumers.Keys)
        {
            await consumer.DisposeAsync();
        }
    }

    private InMemoryQueue Queue(string name) => _queues.GetOrAdd(name, _ => new InMemoryQueue(_time));

    private sealed class InMemoryConsumer(
        string queue,
        InMemoryQueue source,
        DeliveryProcessor processor,
        ConsumerOptions options,
        ILogger logger,
        Action<InMemoryConsumer> onStopped) : IMessageConsumer
    {
        private readonly ConsumerLifetime _lifetime = new(options.MaxConcurrency, queue, logger);

        public string Queue => queue;

        public void Start() => _lifetime.Workers.Start<InMemoryQueue.Delivery>(
            async ct => await source.ReceiveAsync(ct),
            async delivery => source.Settle(delivery, await processor.ProcessAsync(
                delivery.Body, null, delivery.MessageId, delivery.DeliveryCount, delivery.TraceParent, _lifetime.HandlersAborted, delivery.SenderToken, delivery.TraceState)),
            _lifetime.Receiving);

        public async Task StopAsync(CancellationToken cancellationToken = default)
        {
            if (await _lifetime.StopAsync(cancellationToken))
            {
                onStopped(this);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _lifetime.Dispose();
        }
    }
}
