using System.Collections.Concurrent;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>Tags kept in memory: the Sandbox's and tests' stand-in for Azure Resource Manager.</summary>
public sealed class InMemoryTagReader : IAzureTagReader
{
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _tags = new(StringComparer.OrdinalIgnoreCase);

    public void SetTags(string resourceId, IReadOnlyDictionary<string, string> tags) => _tags[resourceId] = tags;

    public Task<IReadOnlyDictionary<string, string>?> ReadTagsAsync(string resourceId, CancellationToken cancellationToken)
        => Task.FromResult(_tags.TryGetValue(resourceId, out var tags) ? tags : null);
}
