using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Inventory;

/// <summary>
/// An operator's way out when a node's stored inventory can't be trusted (e.g. it was dated by a clock far ahead, so
/// every genuine snapshot reads as "not newer"; issue 16, item 4): drops the stored snapshot and lets the ledger take
/// the next snapshot whatever its date. Requests in flight keep their reservations.
/// </summary>
public sealed class InventoryReset(InventoryStore inventory, RequestStore requests, IOptions<ControlPlaneOptions> options)
{
    /// <returns>False when the node had neither a stored snapshot nor a ledger.</returns>
    public async Task<bool> ResetNodeAsync(string cluster, string node, CancellationToken cancellationToken)
    {
        var removed = await inventory.RemoveAsync(cluster, node, cancellationToken);
        var reset = await OptimisticRetry.RunAsync(options.Value.MaxConcurrencyAttempts, $"Resetting the ledger of {cluster}/{node}", async () =>
        {
            var ledger = await requests.GetLedgerAsync(cluster, node, cancellationToken);
            if (ledger is null)
            {
                return false;
            }

            await requests.SaveLedgerAsync(ledger.Ledger with { AsOf = DateTimeOffset.MinValue }, ledger.ETag, cancellationToken);
            return true;
        });
        return removed || reset;
    }
}
