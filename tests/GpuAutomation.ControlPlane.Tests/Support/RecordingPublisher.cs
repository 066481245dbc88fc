using System.Collections.Concurrent;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;

namespace GpuAutomation.ControlPlane.Tests.Support;

/// <summary>
/// The in-memory bus, keeping a copy of what was published and able to be down (a publish then fails as a broker
/// outage would: the caller sees an exception and the outbox keeps the command).
/// </summary>
internal sealed class RecordingPublisher : IMessageBus
{
    private readonly InMemoryMessageBus _bus = new();

    public ConcurrentQueue<(string Queue, Message Command)> Published { get; } = new();

    public bool IsDown { get; set; }

    /// <summary>Thrown by every publish while set, e.g. to stand for a process stopping mid-call.</summary>
    public Exception? Failure { get; set; }

    public async Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default)
    {
        if (Failure is not null)
        {
            throw Failure;
        }

        if (IsDown)
        {
            throw new IOException($"The bus is down; {queue} is unreachable.");
        }

        await _bus.PublishAsync(queue, message, cancellationToken);
        Published.Enqueue((queue, message));
    }

    public Task<IMessageConsumer> StartConsumerAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
        => _bus.StartConsumerAsync(queue, handler, options, cancellationToken);

    public Task<ProbeResult> ProbeAsync(string queue, ProbeAccess access, CancellationToken cancellationToken = default)
        => _bus.ProbeAsync(queue, access, cancellationToken);

    public ValueTask DisposeAsync() => _bus.DisposeAsync();
}
