using Microsoft.Extensions.Hosting;

namespace GpuAutomation.HostRunner.Agent;

/// <summary>Runs the agent for the lifetime of the host (Windows service or console).</summary>
internal sealed class AgentService(HostRunnerAgent agent) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => agent.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => agent.StopAsync(cancellationToken);
}
