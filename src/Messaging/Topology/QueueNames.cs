using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Messaging.Topology;

/// <summary>
/// The one place queue names are derived. Names are lower case (RabbitMQ is case-sensitive, Service Bus is not),
/// use '.' between cluster and node (a character neither name may hold, so no two pairs collide) and start with
/// "gpu-" so one broker policy can cover them all. infra/ creates the same names.
/// </summary>
public static class QueueNames
{
    public const string Prefix = "gpu-";

    /// <summary>The shared queue every host runner sends results, snapshots and events to.</summary>
    public const string Reports = "gpu-reports";

    /// <summary>The command queue of one node: <c>gpu-commands.&lt;cluster&gt;.&lt;node&gt;</c>.</summary>
    public static string Commands(string cluster, string node)
    {
        if (!ResourceNames.IsValidHostName(cluster))
        {
            throw new ArgumentException($"'{cluster}' is not a valid cluster name (letters, digits and inner hyphens, at most {ResourceNames.MaxHostNameLength}).", nameof(cluster));
        }

        if (!ResourceNames.IsValidHostName(node))
        {
            throw new ArgumentException($"'{node}' is not a valid node name (letters, digits and inner hyphens, at most {ResourceNames.MaxHostNameLength}).", nameof(node));
        }

        return $"{Prefix}commands.{cluster}.{node}".ToLowerInvariant();
    }
}
