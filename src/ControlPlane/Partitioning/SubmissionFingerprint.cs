using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// What a submission asks for, as a short stable hash, kept with its idempotency claim: a retry with the same key must
/// ask for the same thing (names compared case-insensitively, as everywhere else). Who asked is not part of it: keys
/// are already scoped to the caller.
/// </summary>
public static class SubmissionFingerprint
{
    public static string Of(PartitionRequestSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        string?[] parts =
        [
            submission.Action.ToString(),
            submission.Cluster,
            submission.Node,
            submission.VmName,
            submission.VmId?.ToString("N"),
            submission.PartitionCount?.ToString(CultureInfo.InvariantCulture),
            Paths(submission.GpuInstancePaths),
            submission.PowerAfter.ToString(),
            submission.OfflineAction.ToString(),
        ];

        // Queue terms join the fingerprint only when given, so claims stored before queues existed still match.
        return submission.Queue is { } queue
            ? Hash([.. parts, "queue", queue.MaxWaitMinutes.ToString(CultureInfo.InvariantCulture), queue.Priority.ToString(CultureInfo.InvariantCulture)])
            : Hash(parts);
    }

    /// <summary>A cluster change's: the same for every node's claim, so a replay matches whatever the inventory now holds.</summary>
    public static string Of(ClusterPartitionCountChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return Hash("cluster-partition-count", change.Cluster, change.PartitionCount.ToString(CultureInfo.InvariantCulture), Paths(change.GpuInstancePaths));
    }

    private static string? Paths(IReadOnlyList<string>? paths)
        => paths is null ? null : string.Join('\n', paths.Select(p => p.ToUpperInvariant()).Order(StringComparer.Ordinal));

    private static string Hash(params string?[] parts)
    {
        // Each part is length-prefixed, so ("ab", "c") and ("a", "bc") differ; null and "" differ too.
        var text = string.Concat(parts.Select(p => p is null ? "-1:" : $"{p.Length}:{p.ToUpperInvariant()}"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }
}
