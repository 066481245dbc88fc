using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.HostRunner.Reporting;

/// <summary>
/// Wraps reports in envelopes from this node and sends them to the shared reports queue, each with the node's access
/// token (<see cref="Message.SenderToken"/>) when <paramref name="tokens"/> is given.
/// </summary>
public sealed class ReportPublisher(IMessageBus bus, string cluster, string node, TimeProvider time, Func<string> newId, ReportTokenSource? tokens = null)
{
    public string Node { get; } = node;

    public async Task PublishAsync(IMessageBody body, string? correlationId, CancellationToken cancellationToken)
    {
        var message = Message.Create(body, newId(), cluster, Node, time.GetUtcNow(), correlationId);
        if (tokens is not null)
        {
            message = message with { SenderToken = await tokens.GetTokenAsync(cancellationToken) };
        }

        await bus.PublishAsync(QueueNames.Reports, message, cancellationToken);
    }
}
