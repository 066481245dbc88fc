using System.Globalization;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Rejections;

/// <summary>
/// Messages and events that can never be processed, kept so an operator can see what was refused and why (the
/// Functions host can't dead-letter with a reason, so this is the record). One partition: rejections are rare by
/// design; row keys count down with time so the newest comes first.
/// </summary>
public sealed class RejectedMessageStore
{
    public const string TableName = "rejected";

    private const string Partition = "rejected";

    /// <summary>Table Storage refuses string properties over 32K characters; reasons are cut well below that.</summary>
    private const int MaxReasonLength = 4096;

    private readonly IRecordTable _table;

    public RejectedMessageStore(IRecordTableSource tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _table = tables.Open(TableName);
    }

    public async Task RecordAsync(RejectedMessage rejected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        var rowKey = string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.MaxValue.UtcTicks - rejected.RejectedAt.UtcTicks:D19}-{Guid.NewGuid():N}");
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Trigger"] = rejected.Trigger,
            ["MessageId"] = rejected.MessageId,
            ["Code"] = rejected.Code,
            ["Reason"] = rejected.Reason.Length <= MaxReasonLength ? rejected.Reason : rejected.Reason[..MaxReasonLength],
            ["RejectedAt"] = rejected.RejectedAt,
            ["Excerpt"] = rejected.Excerpt,
        };
        await _table.SubmitAsync([RowChange.Insert(new TableRow(Partition, rowKey, properties))], cancellationToken);
    }

    /// <summary>The most recent rejections, newest first.</summary>
    public async Task<IReadOnlyList<RejectedMessage>> RecentAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var result = new List<RejectedMessage>();
        string? token = null;
        while (result.Count < limit)
        {
            var page = await _table.QueryAsync(new RowQuery(PartitionKey: Partition, PageSize: Math.Min(limit - result.Count, 1000), ContinuationToken: token), cancellationToken);
            result.AddRange(page.Rows.Select(Read));
            if ((token = page.ContinuationToken) is null)
            {
                break;
            }
        }

        return result.Count > limit ? result.GetRange(0, limit) : result;
    }

    private static RejectedMessage Read(TableRow row) => new(
        row.GetString("Trigger") ?? string.Empty,
        row.GetString("MessageId"),
        row.GetString("Code") ?? string.Empty,
        row.GetString("Reason") ?? string.Empty,
        row.GetTime("RejectedAt") ?? DateTimeOffset.MinValue,
        row.GetString("Excerpt") ?? string.Empty);
}
