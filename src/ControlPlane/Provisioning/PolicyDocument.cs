using GpuAutomation.ControlPlane;
using System.Text.Json;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Capacity;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>Reads and checks a provisioning policy document as operators PUT it.</summary>
public static class PolicyDocument
{
    public const int MaxRules = 50;
    public const int MaxTagsPerRule = 10;
    public const int MaxRemediationsPerScan = 100;

    /// <summary>A fixed reserve larger than this is a typo: no Azure Local cluster (16 nodes) has that many partitions free.</summary>
    public const int MaxReservePartitions = 1024;

    /// <summary>Parses and validates; throws <see cref="ControlPlaneException"/> (invalid-policy) listing every problem found.</summary>
    public static ProvisioningPolicy Parse(ReadOnlySpan<byte> utf8Json)
    {
        ProvisioningPolicy? policy;
        try
        {
            policy = JsonSerializer.Deserialize(utf8Json, ProvisioningJsonContext.Default.ProvisioningPolicy);
        }
        catch (JsonException ex)
        {
            var at = ex.Path is { Length: > 1 } path ? $" at {path.TrimStart('$', '.')}" : string.Empty;
            throw Invalid([$"The policy document is not valid{at}: {FirstSentence(ex.Message)}"]);
        }

        if (policy is null)
        {
            throw Invalid(["The policy document must be a JSON object."]);
        }

        var problems = Problems(policy);
        return problems.Count == 0 ? policy : throw Invalid(problems);
    }

    public static byte[] Serialize(ProvisioningPolicy policy)
        => JsonSerializer.SerializeToUtf8Bytes(policy, ProvisioningJsonContext.Default.ProvisioningPolicy);

    /// <summary>Every problem of a policy, each naming the rule and field; empty when it is usable.</summary>
    public static IReadOnlyList<string> Problems(ProvisioningPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var problems = new List<string>();
        if (policy.Rules.Count > MaxRules)
        {
            problems.Add($"rules: {policy.Rules.Count} rules; at most {MaxRules} are allowed.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < policy.Rules.Count; i++)
        {
            var rule = policy.Rules[i];
            var at = $"rules[{i}]";
            if (string.IsNullOrWhiteSpace(rule.Name) || rule.Name.Length > 64)
            {
                problems.Add($"{at}.name: must be 1 to 64 characters.");
            }
            else if (!names.Add(rule.Name))
            {
                problems.Add($"{at}.name: '{rule.Name}' is used by another rule.");
            }

            if (rule.NamePattern is null && !rule.NeedsAzureTags && rule.NotesMarker is null)
            {
                problems.Add($"{at}: needs at least one of namePattern, azureTags, notesMarker (a rule selecting every VM is refused).");
            }

            if (rule.NamePattern is not null && WildcardPattern.Problem(rule.NamePattern) is { } patternProblem)
            {
                problems.Add($"{at}.namePattern: '{rule.NamePattern}' {patternProblem}.");
            }

            if (rule.AzureTags is { } tags)
            {
                if (tags.Count > MaxTagsPerRule)
                {
                    problems.Add($"{at}.azureTags: at most {MaxTagsPerRule} tags.");
                }

                foreach (var (key, value) in tags)
                {
                    if (string.IsNullOrWhiteSpace(key) || key.Length > 512 || key.IndexOfAny(['<', '>', '%', '&', '\\', '?', '/']) >= 0)
                    {
                        problems.Add($"{at}.azureTags: '{key}' is not a valid Azure tag name.");
                    }

                    if (value.Length > 256)
                    {
                        problems.Add($"{at}.azureTags.{key}: values are at most 256 characters.");
                    }
                }
            }

            if (rule.NotesMarker is { } marker && (string.IsNullOrWhiteSpace(marker) || marker.Length > 200 || marker.Any(char.IsControl)))
            {
                problems.Add($"{at}.notesMarker: must be 1 to 200 printable characters.");
            }

            if (!Enum.IsDefined(rule.OfflineAction))
            {
                problems.Add($"{at}.offlineAction: '{rule.OfflineAction}' is not an OfflineAction.");
            }
        }

        if (policy.EffectiveRemediation.MaxRequestsPerScan is < 0 or > MaxRemediationsPerScan)
        {
            problems.Add($"remediation.maxRequestsPerScan: {policy.EffectiveRemediation.MaxRequestsPerScan} is outside 0..{MaxRemediationsPerScan}.");
        }

        if (policy.StaleInventoryAfterMinutes is < 1 or > 7 * 24 * 60)
        {
            problems.Add($"staleInventoryAfterMinutes: {policy.StaleInventoryAfterMinutes} is outside 1..10080.");
        }

        if (!Enum.IsDefined(policy.Reserve))
        {
            problems.Add($"reserve: '{policy.Reserve}' is not one of none, fixed, n+1.");
        }
        else if (policy.Reserve == ReserveMode.Fixed && policy.ReservePartitions is not (>= 1 and <= MaxReservePartitions))
        {
            problems.Add($"reservePartitions: reserve 'fixed' needs a partition count from 1 to {MaxReservePartitions}{(policy.ReservePartitions is { } n ? $", not {n}" : string.Empty)}.");
        }
        else if (policy.Reserve != ReserveMode.Fixed && policy.ReservePartitions is not null)
        {
            problems.Add("reservePartitions: only reserve 'fixed' takes a partition count.");
        }

        if (!Enum.IsDefined(policy.OnReserveBreach))
        {
            problems.Add($"onReserveBreach: '{policy.OnReserveBreach}' is not one of refuse, warn.");
        }

        if (!Enum.IsDefined(policy.Moves))
        {
            problems.Add($"moves: '{policy.Moves}' is not one of never, when-off, live-migrate.");
        }

        if (!Enum.IsDefined(policy.Strategy))
        {
            problems.Add($"strategy: '{policy.Strategy}' is not one of spread, pack.");
        }

        if (policy.Queue is { } queue)
        {
            problems.AddRange(queue.Problems("queue"));
        }

        return problems;
    }

    private static ControlPlaneException Invalid(IReadOnlyList<string> problems)
        => new(ControlPlaneErrorCodes.InvalidPolicy, string.Join(" ", problems), isRetryable: false, problems);

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
