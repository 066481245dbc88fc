using System.Text.RegularExpressions;

namespace GpuAutomation.Contracts.Messaging;

/// <summary>Rules for the names that identify clusters, nodes and VMs everywhere in the system.</summary>
public static partial class ResourceNames
{
    /// <summary>Hyper-V accepts VM names of up to 100 characters.</summary>
    public const int MaxVmNameLength = 100;

    /// <summary>Cluster and node names are DNS labels (and NetBIOS names are shorter still).</summary>
    public const int MaxHostNameLength = 63;

    /// <summary>True for a cluster or node name: a DNS label of letters, digits and inner hyphens.</summary>
    public static bool IsValidHostName(string? name)
        => name is { Length: > 0 and <= MaxHostNameLength } && HostNamePattern().IsMatch(name);

    /// <summary>True for a VM display name that can be carried and escaped safely: non-empty, bounded, no control characters.</summary>
    public static bool IsValidVmName(string? name)
        => name is { Length: > 0 and <= MaxVmNameLength }
            && !string.IsNullOrWhiteSpace(name)
            && !name.Any(char.IsControl);

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex HostNamePattern();
}
