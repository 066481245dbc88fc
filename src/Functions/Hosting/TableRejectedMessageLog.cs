using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Rejections in Azure Table Storage, so every instance's refusals survive restarts and are visible in one place.
/// One partition (rejections are rare by design); row keys sort newest first by inverted ticks.
/// </summary>
public sealed class TableRejectedMessageLog(TableClient table) : IRejectedMessageLog
{
    public const string DefaultTableName = "RejectedMessages";

    private const string Partition = "rejected";

    /// <summary>Table Storage refuses string properties over 32K characters; the excerpt is far below that.</summary>
    private const int MaxReasonLength = 4096;

    private int _created;

    public async Task RecordAsync(RejectedMessage rejected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        await EnsureTableAsync(cancellationToken);
        var inverted = (DateTimeOffset.MaxValue.UtcTicks - rejected.RejectedAt.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
        var entity = new TableEntity(Partition, $"{inverted}-{Guid.NewGuid():N}")
        {
            ["Trigger"] = rejected.Trigger,
            ["MessageId"] = rejected.MessageId,
            ["Code"] = rejected.Code,
            ["Reason"] = rejected.Reason.Length <= MaxReasonLength ? rejected.Reason : rejected.Reason[..MaxReasonLength],
            ["RejectedAt"] = rejected.RejectedAt,
            ["Excerpt"] = rejected.Excerpt,
        };
        await table.AddEntityAsync(entity, cancellationToken);
    }

    public async Task<IReadOnlyList<RejectedMessage>> RecentAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var result = new List<RejectedMessage>(Math.Min(limit, 1000));
        if (limit == 0)
        {
            return result;
        }

        await EnsureTableAsync(cancellationToken);
        await foreach (var entity in table.QueryAsync<TableEntity>($"PartitionKey eq '{Partition}'", maxPerPage: Math.Min(limit, 1000), cancellationToken: cancellationToken))
        {
            result.Add(new RejectedMessage(
                entity.GetString("Trigger") ?? string.Empty,
                entity.GetString("MessageId"),
                entity.GetString("Code") ?? string.Empty,
                entity.GetString("Reason") ?? string.Empty,
                entity.GetDateTimeOffset("RejectedAt") ?? DateTimeOffset.MinValue,
                entity.GetString("Excerpt") ?? string.Empty));
            if (result.Count == limit)
            {
                break;
            }
        }

        return result;
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _created) == 1)
        {
            return;
        }

        try
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Created concurrently by another instance.
        }

        Volatile.Write(ref _created, 1);
    }
}
