using Microsoft.Extensions.Hosting;

namespace GpuAutomation.ControlPlane.Outbox;

/// <summary>
/// Runs the <see cref="DispatchQueue"/> for the app's lifetime. On a graceful stop it takes nothing new once the
/// host stops it, lets the dispatches under way finish and publishes what is still waiting, all within the host's
/// shutdown time; whatever that time cuts short stays in the outbox for the sweep (published again at worst, which
/// the hosts de-duplicate by command id).
/// </summary>
public sealed class DispatchRelay(DispatchQueue queue) : BackgroundService
{
    private readonly CancellationTokenSource _abandon = new();

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => queue.RunAsync(stoppingToken, _abandon.Token);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        using var shutdownOver = cancellationToken.Register(_abandon.Cancel);
        await base.StopAsync(cancellationToken);
        await queue.DispatchWaitingAsync(_abandon.Token);
    }

    public override void Dispose()
    {
        _abandon.Dispose();
        base.Dispose();
    }
}
