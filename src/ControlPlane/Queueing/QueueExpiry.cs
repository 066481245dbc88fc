using GpuAutomation.ControlPlane.Partitioning;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>Ends queued requests whose maxWaitMinutes passed (the sweep timer runs it): Expired, with the reason they waited.</summary>
public sealed class QueueExpiry(RequestQueue queue, RequestStore requests, PartitionRequestService service, TimeProvider time, IOptions<ControlPlaneOptions> options)
{
    /// <returns>How many queued requests expired in this run.</returns>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var expired = 0;
        foreach (var entry in await queue.ListExpiredAsync(time.GetUtcNow(), options.Value.MaxRowsPerRun, cancellationToken))
        {
            var stored = await requests.GetAsync(entry.Cluster, entry.Node, entry.RequestId, cancellationToken);
            if (stored is null || stored.Request.Status != RequestStatus.Queued)
            {
                await queue.RemoveAsync(entry, cancellationToken);
                continue;
            }

            if ((await service.ExpireAsync(stored, cancellationToken)).Outcome == QueueAdmissionOutcome.Ended)
            {
                expired++;
            }
        }

        return expired;
    }
}
