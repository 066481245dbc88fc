using System.Security.Cryptography;
using System.Text;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>
/// The request index table: where each request id lives (its node's partition, "i-{id}" rows) and which request holds
/// each idempotency key ("k-{sha256}" rows). Requests themselves are <see cref="RequestStore"/>'s; this only finds them.
/// </summary>
public sealed class RequestIndex
{
    public const string TableName = "requestindex";

    /// <summary>Takeovers of one key that a concurrent claimer keeps winning, before giving up as contention.</summary>
    private const int MaxClaimAttempts = 20;

    private readonly IRecordTable _index;

    public RequestIndex(IRecordTableSource tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _index = tables.Open(TableName);
    }

    /// <summary>The partition request <paramref name="requestId"/> was written to, if it was indexed.</summary>
    public async Task<string?> LocateAsync(string requestId, CancellationToken cancellationToken)
        => (await _index.GetAsync("i-" + requestId, string.Empty, cancellationToken))?.GetString("Partition");

    public Task IndexAsync(string requestId, string partition, CancellationToken cancellationToken)
        => _index.SubmitAsync([RowChange.Upsert(new TableRow("i-" + requestId, string.Empty, new Dictionary<string, object?> { ["Partition"] = partition }))], cancellationToken);

    /// <summary>Who holds <paramref name="key"/>, or null when nobody claimed it. Reads only.</summary>
    public async Task<IdempotencyClaim?> GetHolderAsync(string key, CancellationToken cancellationToken)
        => await _index.GetAsync(KeyPartition(key), string.Empty, cancellationToken) is { } row && row.GetString("RequestId") is { } id
            ? new IdempotencyClaim(id, row.GetString("Fingerprint"))
            : null;

    /// <summary>
    /// Claims an idempotency key for a new request id of <paramref name="cluster"/>, asking for
    /// <paramref name="fingerprint"/>. Returns the claim that already holds the key, or null when this call claimed it. A claim older than <paramref name="staleAfter"/> whose request
    /// <paramref name="wasWritten"/> says was never written is taken over.
    /// </summary>
    public async Task<IdempotencyClaim?> ClaimAsync(
        string key,
        string cluster,
        string requestId,
        string fingerprint,
        DateTimeOffset now,
        TimeSpan staleAfter,
        Func<string, string?, Task<bool>> wasWritten,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wasWritten);
        var partition = KeyPartition(key);
        var claim = new Dictionary<string, object?> { ["RequestId"] = requestId, ["Cluster"] = cluster, ["ClaimedAt"] = now, ["Fingerprint"] = fingerprint };
        for (var attempt = 1; attempt <= MaxClaimAttempts; attempt++)
        {
            try
            {
                await _index.SubmitAsync([RowChange.Insert(new TableRow(partition, string.Empty, claim))], cancellationToken);
                return null;
            }
            catch (StoreException ex) when (ex.Code == StoreErrors.RowExists)
            {
            }

            var existing = await _index.GetAsync(partition, string.Empty, cancellationToken);
            if (existing?.GetString("RequestId") is not { } existingId)
            {
                continue; // Released or taken over between our insert and read: try again.
            }

            var abandoned = existing.GetTime("ClaimedAt") is { } at && now - at > staleAfter
                && !await wasWritten(existingId, existing.GetString("Cluster"));
            if (!abandoned)
            {
                return new IdempotencyClaim(existingId, existing.GetString("Fingerprint"));
            }

            try
            {
                await _index.SubmitAsync([RowChange.Write(new TableRow(partition, string.Empty, claim, existing.ETag))], cancellationToken);
                return null;
            }
            catch (StoreException ex) when (ex.IsConflict)
            {
                // Another claimer took it over first: look again.
            }
        }

        throw new StoreException(StoreErrors.Contention, $"Idempotency key '{key}' kept changing hands over {MaxClaimAttempts} attempts; retry later.");
    }

    /// <summary>Gives up a claim this caller made and never wrote a request for, so the key is free at once.</summary>
    public async Task ReleaseAsync(string key, string requestId, CancellationToken cancellationToken)
    {
        var partition = KeyPartition(key);
        var row = await _index.GetAsync(partition, string.Empty, cancellationToken);
        if (row is null || !string.Equals(row.GetString("RequestId"), requestId, StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            await _index.SubmitAsync([RowChange.Delete(partition, string.Empty, row.ETag)], cancellationToken);
        }
        catch (StoreException ex) when (ex.IsConflict)
        {
            // Taken over or released meanwhile: not ours any more.
        }
    }

    private static string KeyPartition(string key) => "k-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
