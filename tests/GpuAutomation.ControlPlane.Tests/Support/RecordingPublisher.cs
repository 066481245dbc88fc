using System.Collections.Concurrent;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Functions.Outbox;

namespace GpuAutomation.ControlPlane.Tests.Support;

/// <summary>A bus that keeps what it was given and can be down.</summary>
internal sealed class RecordingPublisher : ICommandPublisher
{
    public ConcurrentQueue<(string Queue, Message Command)> Published { get; } = new();

    public bool IsDown { get; set; }

    /// <summary>Thrown by every publish while set, e.g. to stand for a process stopping mid-call.</summary>
    public Exception? Failure { get; set; }

    public Task PublishAsync(string queueName, Message command, CancellationToken cancellationToken)
    {
        if (Failure is not null)
        {
            throw Failure;
        }

        if (IsDown)
        {
            throw new IOException($"The bus is down; {queueName} is unreachable.");
        }

        Published.Enqueue((queueName, command));
        return Task.CompletedTask;
    }
}
