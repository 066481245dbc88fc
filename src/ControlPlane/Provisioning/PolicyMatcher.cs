namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>Decides which rule of a policy, if any, selects a VM.</summary>
public static class PolicyMatcher
{
    /// <summary>
    /// The first rule whose criteria all match. A rule that needs Azure tags the caller couldn't read makes the
    /// decision <see cref="PolicyMatch.Undecided"/> unless an earlier rule already selected the VM.
    /// </summary>
    public static PolicyDecision Decide(ProvisioningPolicy policy, VmFacts vm)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(vm);
        var undecided = false;
        foreach (var rule in policy.Rules)
        {
            if (!MatchesName(rule, vm) || !MatchesNotes(rule, vm))
            {
                continue;
            }

            if (rule.NeedsAzureTags)
            {
                if (vm.AzureTags is null)
                {
                    undecided = true;
                    continue;
                }

                if (!MatchesTags(rule.AzureTags!, vm.AzureTags))
                {
                    continue;
                }
            }

            return new PolicyDecision(PolicyMatch.Selected, rule);
        }

        return undecided ? new PolicyDecision(PolicyMatch.Undecided, null) : PolicyDecision.NotSelected;
    }

    private static bool MatchesName(ProvisioningRule rule, VmFacts vm)
        => rule.NamePattern is null || WildcardPattern.IsMatch(rule.NamePattern, vm.Name);

    private static bool MatchesNotes(ProvisioningRule rule, VmFacts vm)
        => rule.NotesMarker is null || (vm.Notes?.Contains(rule.NotesMarker, StringComparison.OrdinalIgnoreCase) ?? false);

    // Azure tag names are case-insensitive; values are compared as written, except "*" which accepts any value.
    private static bool MatchesTags(IReadOnlyDictionary<string, string> wanted, IReadOnlyDictionary<string, string> actual)
        => wanted.All(tag =>
        {
            var found = actual.FirstOrDefault(a => string.Equals(a.Key, tag.Key, StringComparison.OrdinalIgnoreCase));
            return found.Key is not null && (tag.Value == "*" || string.Equals(found.Value, tag.Value, StringComparison.Ordinal));
        });
}
