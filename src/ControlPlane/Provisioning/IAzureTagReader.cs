namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>Reads the tags of an Azure resource (the Arc machine of an Azure Local VM).</summary>
public interface IAzureTagReader
{
    /// <summary>The resource's tags; null when the resource doesn't exist (any other failure throws).</summary>
    Task<IReadOnlyDictionary<string, string>?> ReadTagsAsync(string resourceId, CancellationToken cancellationToken);
}
