namespace GpuAutomation.ControlPlane.Storage;

internal static class BatchRules
{
    public const int MaxChanges = 100;

    public static void Check(IReadOnlyList<RowChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count is 0 or > MaxChanges)
        {
            throw new ArgumentException($"A batch holds 1 to {MaxChanges} changes, not {changes.Count}.", nameof(changes));
        }

        var partitionKey = changes[0].Row.PartitionKey;
        foreach (var change in changes)
        {
            if (!string.Equals(change.Row.PartitionKey, partitionKey, StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"A batch must stay in one partition: '{partitionKey}' and '{change.Row.PartitionKey}' differ.", nameof(changes));
            }
        }

        var duplicate = changes.GroupBy(c => c.Row.RowKey, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"A batch may change row '{duplicate.Key}' only once.", nameof(changes));
        }
    }

    /// <summary>The smallest string greater than every string starting with <paramref name="prefix"/>.</summary>
    public static string UpperBound(string prefix)
        => prefix.Length == 0 ? "\uffff" : prefix[..^1] + (char)(prefix[^1] + 1);
}
