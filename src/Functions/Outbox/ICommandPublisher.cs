using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Functions.Outbox;

/// <summary>
/// Sends a command to a node's queue (<see cref="GpuAutomation.Messaging.Topology.QueueNames.Commands"/>). Throws when
/// the bus didn't take it; the outbox sweep then sends it again, and hosts de-duplicate by message id.
/// </summary>
public interface ICommandPublisher
{
    Task PublishAsync(string queueName, Message command, CancellationToken cancellationToken);
}
