using Microsoft.Extensions.Hosting;

namespace GpuAutomation.Functions.Outbox;

/// <summary>
/// Runs the <see cref="DispatchQueue"/> for the app's lifetime. On a graceful stop it publishes what is still
/// waiting within the host's shutdown time; the rest stays in the outbox for the sweep.
/// </summary>
public sealed class DispatchRelay(DispatchQueue queue) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => queue.RunAsync(stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await queue.DispatchWaitingAsync(cancellationToken).ConfigureAwait(false);
    }
}
