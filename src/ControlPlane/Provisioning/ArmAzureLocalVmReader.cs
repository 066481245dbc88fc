using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.ResourceManager;
using Azure.ResourceManager.Resources;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// Reads the Arc machine and its VM instance with generic ARM GETs (Microsoft.HybridCompute/machines/read and
/// Microsoft.AzureStackHCI/virtualMachineInstances/read: the built-in Reader role on the VMs' resource group, granted by
/// infra's vmResourceGroupName). Without that role ARM answers 403: the VM is then matched by name alone and tag rules
/// see no tags, with a warning, rather than failing every event.
/// </summary>
public sealed partial class ArmAzureLocalVmReader(ArmClient arm, ILogger<ArmAzureLocalVmReader> logger) : IAzureLocalVmReader
{
    /// <summary>
    /// API versions pinned so a read costs one GET, not a provider lookup first: HybridCompute machines 2024-07-10 and
    /// AzureStackHCI virtualMachineInstances 2024-01-01 are GA versions (Azure REST API reference for each provider).
    /// </summary>
    public static ArmClientOptions Options()
    {
        var options = new ArmClientOptions();
        options.SetApiVersion(new ResourceType("Microsoft.HybridCompute/machines"), "2024-07-10");
        options.SetApiVersion(new ResourceType("Microsoft.AzureStackHCI/virtualMachineInstances"), "2024-01-01");
        return options;
    }

    public async Task<AzureLocalVmFacts?> ReadAsync(AzureLocalVmResource resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var machine = await GetOrNullAsync(resource.MachineResourceId, cancellationToken);
        if (machine is null)
        {
            return null;
        }

        var instance = await GetOrNullAsync(resource.InstanceResourceId, cancellationToken);
        return new AzureLocalVmFacts(
            machine.Kind,
            instance is null ? null : ReadVmId(instance.Properties),
            machine.Tags.ToDictionary(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The instance's <c>properties.vmId</c> when it is a GUID; null otherwise.</summary>
    public static Guid? ReadVmId(BinaryData? properties)
    {
        if (properties is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(properties);
        return document.RootElement.ValueKind == JsonValueKind.Object
            && document.RootElement.TryGetProperty("vmId", out var vmId)
            && vmId.ValueKind == JsonValueKind.String
            && Guid.TryParse(vmId.GetString(), out var id)
            ? id
            : null;
    }

    private async Task<GenericResourceData?> GetOrNullAsync(string resourceId, CancellationToken cancellationToken)
    {
        try
        {
            var response = await arm.GetGenericResource(new ResourceIdentifier(resourceId)).GetAsync(cancellationToken);
            return response.Value.Data;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
        catch (RequestFailedException ex) when (ex.Status == 403)
        {
            LogForbidden(resourceId, ex.ErrorCode);
            return null;
        }
    }

    [LoggerMessage(EventId = 3403, Level = LogLevel.Warning, Message = "Reading {ResourceId} was forbidden ({ErrorCode}): grant the app Reader on the VMs' resource group; until then VMs are matched by name and tag rules see no tags")]
    private partial void LogForbidden(string resourceId, string? errorCode);
}
