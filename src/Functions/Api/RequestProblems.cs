using GpuAutomation.ControlPlane.Partitioning;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// How a refused request answers. The status says what the caller can do about it:
/// 400 the input itself is wrong (bad name, missing node); 404 the cluster in the URL path has never reported;
/// 409 the request is valid but the cluster's current state forbids it (it may succeed once the state changes:
/// partitions assigned, no free partition, the failover reserve (headroom-reserved), a cancel of a request no longer
/// queued (not-queued), VM busy, mixed GPUs mid-change, idempotency key still being written);
/// 422 the input names something the inventory doesn't have or the hardware can't do (unknown cluster/node/VM/GPU
/// in a body, a partition count the GPU doesn't offer, a GPU that isn't partitioned, an idempotency key reused for a
/// different request). The <c>code</c> member is the
/// control plane's request code, stable for clients to switch on.
/// </summary>
public static class RequestProblems
{
    public static int StatusOf(string code, bool clusterInPath = false) => code switch
    {
        RequestCodes.UnknownCluster when clusterInPath => StatusCodes.Status404NotFound,
        RequestCodes.InvalidName or RequestCodes.NodeRequired or RequestCodes.InvalidOfflineAction or RequestCodes.InvalidQueue => StatusCodes.Status400BadRequest,
        _ when RequestCodes.DependsOnState(code) => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    /// <param name="requestId">The stored Rejected request, readable at GET /api/partition-requests/{id}; null when nothing was stored.</param>
    public static ProblemHttpResult Refused(RequestNotice notice, string? requestId, bool clusterInPath = false)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var extensions = new Dictionary<string, object?> { ["code"] = notice.Code };
        if (requestId is not null)
        {
            extensions["requestId"] = requestId;
        }

        return TypedResults.Problem(
            detail: notice.Message,
            statusCode: StatusOf(notice.Code, clusterInPath),
            title: "Request refused",
            type: $"https://gpu-automation.invalid/problems/{notice.Code}",
            extensions: extensions);
    }

    /// <summary>
    /// A cluster-wide change that some node refused: nothing was stored or sent. The status follows the first reason;
    /// <c>nodes</c> lists every node's (node empty when the cause is the cluster's).
    /// </summary>
    public static ProblemHttpResult ClusterChangeRefused(IReadOnlyList<NodeRefusal> refusals)
    {
        ArgumentNullException.ThrowIfNull(refusals);
        var first = refusals[0].Reason;
        var detail = refusals.Count == 1
            ? first.Message
            : $"{refusals.Count} nodes refused the change, so nothing was stored or sent: {string.Join(" ", refusals.Select(r => r.Reason.Message))}";
        return TypedResults.Problem(
            detail: detail,
            statusCode: StatusOf(first.Code, clusterInPath: true),
            title: "Request refused",
            type: $"https://gpu-automation.invalid/problems/{first.Code}",
            extensions: new Dictionary<string, object?>
            {
                ["code"] = first.Code,
                ["nodes"] = refusals.Select(r => new NodeRefusalView(r.Node, r.Reason.Code, r.Reason.Message)).ToArray(),
            });
    }

    public static ProblemHttpResult UnknownCluster(string cluster)
        => Refused(new RequestNotice(RequestCodes.UnknownCluster, $"Cluster {cluster} is unknown: no node of it has sent an inventory."), null, clusterInPath: true);
}
