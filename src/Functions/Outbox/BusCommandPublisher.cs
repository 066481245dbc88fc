using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;

namespace GpuAutomation.Functions.Outbox;

/// <summary><see cref="ICommandPublisher"/> over the bus: returns once the broker accepted the command, throws otherwise.</summary>
public sealed class BusCommandPublisher(IMessageBus bus) : ICommandPublisher
{
    public Task PublishAsync(string queueName, Message command, CancellationToken cancellationToken)
        => bus.PublishAsync(queueName, command, cancellationToken);
}
