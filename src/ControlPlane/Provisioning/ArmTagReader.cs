using Azure;
using Azure.Core;
using Azure.ResourceManager;
using Azure.ResourceManager.Resources;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// Reads tags through Azure Resource Manager's tags API at the resource's scope (Microsoft.Resources/tags/read),
/// which needs no resource-provider api-version and only Reader (or Tag Reader) on the machine's resource group.
/// </summary>
public sealed class ArmTagReader(ArmClient arm) : IAzureTagReader
{
    public async Task<IReadOnlyDictionary<string, string>?> ReadTagsAsync(string resourceId, CancellationToken cancellationToken)
    {
        var tags = arm.GetTagResource(TagResource.CreateResourceIdentifier(new ResourceIdentifier(resourceId)));
        try
        {
            var response = await tags.GetAsync(cancellationToken);
            return response.Value.Data.TagValues.ToDictionary(StringComparer.OrdinalIgnoreCase);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}
