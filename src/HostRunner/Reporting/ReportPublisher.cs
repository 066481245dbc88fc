using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.HostRunner.Reporting;

/// <summary>Wraps reports in envelopes from this node and sends them to the shared reports queue.</summary>
public sealed class ReportPublisher(IMessageBus bus, string cluster, string node, TimeProvider time, Func<string> newId)
{
    public string Node { get; } = node;

    public Task PublishAsync(IMessageBody body, string? correlationId, CancellationToken cancellationToken)
        => bus.PublishAsync(QueueNames.Reports, Message.Create(body, newId(), cluster, Node, time.GetUtcNow(), correlationId), cancellationToken);
}
