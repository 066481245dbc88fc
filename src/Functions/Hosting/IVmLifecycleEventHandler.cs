namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Receives Azure resource events (Event Grid) about VMs, e.g. an Azure Local VM instance written. Event Grid
/// redelivers a whole batch when one event fails, so handling must be idempotent by <see cref="VmLifecycleEvent.Id"/>.
/// Throw only for failures worth a retry.
/// </summary>
public interface IVmLifecycleEventHandler
{
    Task HandleAsync(VmLifecycleEvent resourceEvent, CancellationToken cancellationToken);
}
