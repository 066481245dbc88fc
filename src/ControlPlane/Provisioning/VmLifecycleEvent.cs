using System.Text.Json;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>An Azure resource event as delivered by Event Grid, in either the Event Grid schema or CloudEvents 1.0.</summary>
/// <param name="Id">The event id; Event Grid redelivers with the same id.</param>
/// <param name="EventType">e.g. Microsoft.Resources.ResourceWriteSuccess.</param>
/// <param name="Subject">The resource id the event is about.</param>
/// <param name="Source">The Event Grid topic (Event Grid schema) or source (CloudEvents).</param>
/// <param name="OperationName">data.operationName, e.g. Microsoft.AzureStackHCI/virtualMachineInstances/write.</param>
/// <param name="ResourceUri">data.resourceUri.</param>
/// <param name="Status">data.status, e.g. Succeeded.</param>
/// <param name="CorrelationId">data.correlationId of the ARM operation.</param>
/// <param name="Data">The whole data object, for handlers that need more.</param>
public sealed record VmLifecycleEvent(
    string Id,
    string EventType,
    string? Subject,
    string? Source,
    DateTimeOffset? Time,
    string? OperationName,
    string? ResourceUri,
    string? Status,
    string? CorrelationId,
    JsonElement Data)
{
    public const string AzureLocalVmInstanceWrite = "Microsoft.AzureStackHCI/virtualMachineInstances/write";

    public const string ArcMachineWrite = "Microsoft.HybridCompute/machines/write";

    public const string AzureLocalVmInstanceDelete = "Microsoft.AzureStackHCI/virtualMachineInstances/delete";

    /// <summary>
    /// True for the write of an Azure Local VM instance. Matched on the operation (case-insensitively), not on the
    /// subject, because the instance is an extension resource whose id starts with the HybridCompute machine path.
    /// </summary>
    public bool IsAzureLocalVmInstanceWrite
        => string.Equals(OperationName, AzureLocalVmInstanceWrite, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// True for the write of an Arc machine, the first of the two writes that create an Azure Local VM (audit row
    /// 4.1); also raised when its tags change, so tagging a VM later provisions it then.
    /// </summary>
    public bool IsArcMachineWrite
        => string.Equals(OperationName, ArcMachineWrite, StringComparison.OrdinalIgnoreCase);

    public bool IsAzureLocalVmInstanceDelete
        => string.Equals(OperationName, AzureLocalVmInstanceDelete, StringComparison.OrdinalIgnoreCase);
}
