using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary>A real bus whose reports queue accepts every publish only after <paramref name="delay"/>, as a throttled or failing-over namespace would.</summary>
internal sealed class SlowReportsBus(IMessageBus inner, TimeSpan delay) : IMessageBus
{
    public async Task PublishAsync(string queue, Message message, CancellationToken cancellationToken = default)
    {
        if (queue == QueueNames.Reports)
        {
            await Task.Delay(delay, cancellationToken);
        }

        await inner.PublishAsync(queue, message, cancellationToken);
    }

    public Task<IMessageConsumer> StartConsumerAsync(string queue, MessageHandler handler, ConsumerOptions? options = null, CancellationToken cancellationToken = default)
        => inner.StartConsumerAsync(queue, handler, options, cancellationToken);

    public Task<ProbeResult> ProbeAsync(string queue, ProbeAccess access, CancellationToken cancellationToken = default)
        => inner.ProbeAsync(queue, access, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
