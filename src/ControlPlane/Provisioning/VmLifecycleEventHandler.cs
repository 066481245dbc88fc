using GpuAutomation.ControlPlane;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// Azure resource events (Event Grid) for <see cref="VmProvisioning"/>: a successful write of an Azure Local VM
/// instance or of its Arc machine is matched against its cluster's policy. When no host has reported the VM yet the
/// retryable <see cref="ControlPlaneException"/> propagates, so Event Grid retries after the host's next report. Other
/// events (deletes, failed writes, other resource types) are acknowledged and ignored.
/// </summary>
public sealed partial class VmLifecycleEventHandler(VmProvisioning provisioning, ILogger<VmLifecycleEventHandler> logger)
{
    public async Task HandleAsync(VmLifecycleEvent resourceEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resourceEvent);
        var succeeded = resourceEvent.Status is null || string.Equals(resourceEvent.Status, "Succeeded", StringComparison.OrdinalIgnoreCase);
        if (!(resourceEvent.IsAzureLocalVmInstanceWrite || resourceEvent.IsArcMachineWrite) || !succeeded || (resourceEvent.ResourceUri ?? resourceEvent.Subject) is not { Length: > 0 } resourceId)
        {
            LogIgnored(resourceEvent.Id, resourceEvent.EventType, resourceEvent.OperationName, resourceEvent.Status);
            return;
        }

        var outcome = await provisioning.OnAzureVmWrittenAsync(resourceEvent.Id, resourceId, cancellationToken);
        LogProvisioned(resourceEvent.Id, resourceId, outcome.Result, outcome.Detail, outcome.RequestId);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Event {EventId} ({EventType}, {OperationName}, {Status}) is not a successful Azure Local VM or Arc machine write; ignored")]
    private partial void LogIgnored(string eventId, string eventType, string? operationName, string? status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventId} for {ResourceId}: {Result} ({Detail}), request {RequestId}")]
    private partial void LogProvisioned(string eventId, string resourceId, ProvisioningResult result, string detail, string? requestId);
}
