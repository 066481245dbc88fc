using System.Buffers.Text;
using System.Globalization;
using System.Text;
using GpuAutomation.Functions.Composition;
using GpuAutomation.Functions.Inventory;
using GpuAutomation.Functions.Partitioning;
using Microsoft.Extensions.Options;
using CoreAction = GpuAutomation.Functions.Partitioning.PartitionAction;
using CoreSubmission = GpuAutomation.Functions.Partitioning.PartitionRequestSubmission;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// <see cref="IPartitioningRequests"/> over <see cref="PartitionRequestService"/>. A refused submission answers a
/// problem whose status follows <see cref="RequestProblems"/>; the core keeps it as a Rejected request (its id is in
/// the problem's requestId) and sends nothing. Idempotency keys are namespaced ("api:") so they never meet the keys
/// the core makes for event-driven provisioning; a retried key returns the first request, whatever the new body says.
/// </summary>
public sealed class PartitioningRequests(
    PartitionRequestService service,
    InventoryQueries inventory,
    IHttpContextAccessor http,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options) : IPartitioningRequests
{
    public const string RequestsPath = "/api/partition-requests";

    public async Task<IResult> SubmitAsync(PartitionRequestSubmission submission, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var core = new CoreSubmission(
            submission.Action == PartitionAction.Assign ? CoreAction.Assign : CoreAction.Unassign,
            submission.Cluster,
            Node: submission.Node,
            VmName: submission.Vm,
            GpuInstancePaths: submission.Gpu is null ? null : [submission.Gpu],
            Origin: RequestOrigin.Api,
            RequestedBy: Caller(),
            IdempotencyKey: idempotencyKey is null ? null : "api:" + idempotencyKey);
        SubmitOutcome outcome;
        try
        {
            outcome = await service.SubmitAsync(core, cancellationToken);
        }
        catch (PartitionRequestException ex)
        {
            return RequestProblems.Refused(new RequestNotice(ex.Code, ex.Message), null);
        }

        return outcome.IsRejected
            ? RequestProblems.Refused(outcome.Request.Error ?? new RequestNotice(RequestCodes.InvalidName, "Rejected."), outcome.Request.Id)
            : TypedResults.Accepted(Location(outcome.Request.Id), ApiViews.Request(outcome.Request));
    }

    /// <summary>
    /// One ConfigurePartitionCount request per node that has a target GPU. Every node's change is validated first, so
    /// a change that one node refuses stores and sends nothing for any node. Warnings are the cluster's view: a
    /// partial selection is judged against all the cluster's GPUs, not node by node.
    /// </summary>
    public async Task<IResult> ChangePartitionCountAsync(string cluster, PartitionCountChange change, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (await inventory.GetClusterAsync(cluster, cancellationToken) is not { } view)
        {
            return RequestProblems.UnknownCluster(cluster);
        }

        var partitionable = view.PartitionableGpus.ToList();
        List<(string Node, IReadOnlyList<string>? Gpus)> perNode;
        if (change.Gpus is null)
        {
            perNode = [.. partitionable.Select(x => x.Node).Distinct(StringComparer.OrdinalIgnoreCase).Select(n => (n, (IReadOnlyList<string>?)null))];
        }
        else
        {
            var found = new List<(string Node, string Gpu)>();
            foreach (var gpu in change.Gpus)
            {
                // Nodes built alike report the same instance path for the GPU in the same slot: a path names all of them.
                var matches = view.Nodes.SelectMany(n => n.Gpus.Select(g => (n.Node, g.InstancePath)))
                    .Where(x => string.Equals(x.InstancePath, gpu, StringComparison.OrdinalIgnoreCase))
                    .ToList();
                if (matches.Count == 0)
                {
                    return RequestProblems.Refused(new RequestNotice(RequestCodes.UnknownGpu, $"Cluster {view.Cluster} has no GPU {gpu}."), null);
                }

                found.AddRange(matches);
            }

            perNode = [.. found.GroupBy(x => x.Node, StringComparer.OrdinalIgnoreCase).Select(g => (g.Key, (IReadOnlyList<string>?)[.. g.Select(x => x.Gpu)]))];
        }

        if (perNode.Count == 0)
        {
            return RequestProblems.Refused(new RequestNotice(RequestCodes.NoPartitionableGpu, $"Cluster {view.Cluster} has no partitionable GPU."), null);
        }

        var caller = Caller();
        var submissions = perNode
            .Select(n => CoreSubmission.ConfigureCount(
                view.Cluster,
                n.Node,
                change.PartitionCount,
                n.Gpus,
                RequestOrigin.Api,
                caller,
                idempotencyKey is null ? null : string.Create(CultureInfo.InvariantCulture, $"api:{idempotencyKey}:{n.Node.ToLowerInvariant()}")))
            .ToList();
        var now = time.GetUtcNow();
        foreach (var submission in submissions)
        {
            if (PartitionRequestValidator.Validate(submission, view, now, options.Value.InventoryMaxAge).Rejection is { } rejection)
            {
                return RequestProblems.Refused(rejection, null, clusterInPath: true);
            }
        }

        var accepted = new List<PartitionRequest>();
        foreach (var submission in submissions)
        {
            try
            {
                accepted.Add((await service.SubmitAsync(submission, cancellationToken)).Request);
            }
            catch (PartitionRequestException ex) when (accepted.Count == 0)
            {
                return RequestProblems.Refused(new RequestNotice(ex.Code, ex.Message), null, clusterInPath: true);
            }
        }

        if (accepted.All(r => r.Status == RequestStatus.Rejected))
        {
            return RequestProblems.Refused(accepted[0].Error!, accepted[0].Id, clusterInPath: true);
        }

        var warnings = accepted
            .SelectMany(r => r.Warnings)
            .Where(w => w.Code != RequestCodes.PartialSelection)
            .Select(ApiViews.Notice)
            .Distinct()
            .ToList();
        var targeted = submissions.SelectMany(s => (s.GpuInstancePaths ?? partitionable.Where(x => string.Equals(x.Node, s.Node, StringComparison.OrdinalIgnoreCase)).Select(x => x.Gpu.InstancePath)).Select(p => (s.Node, p)));
        var targetSet = targeted.Select(t => $"{t.Node}|{t.p}".ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        var left = partitionable
            .Where(x => !targetSet.Contains($"{x.Node}|{x.Gpu.InstancePath}".ToUpperInvariant()) && x.Gpu.PartitionCount != change.PartitionCount)
            .ToList();
        if (left.Count > 0)
        {
            warnings.Add(new NoticeView(
                RequestCodes.PartialSelection,
                string.Create(CultureInfo.InvariantCulture, $"The change covers {partitionable.Count - left.Count} of the {partitionable.Count} GPUs of cluster {view.Cluster}; {string.Join(", ", left.Select(o => $"{o.Gpu.InstancePath} on {o.Node} ({o.Gpu.PartitionCount})"))} keep another partition count until changed too."),
                null));
        }

        var location = accepted.Count == 1 ? Location(accepted[0].Id) : $"{RequestsPath}?cluster={Uri.EscapeDataString(view.Cluster)}";
        return TypedResults.Accepted(location, new PartitionCountChangeView([.. accepted.Select(ApiViews.Request)], warnings));
    }

    public async Task<IResult> GetAsync(string requestId, CancellationToken cancellationToken)
        => await service.GetAsync(requestId, cancellationToken) is { } request
            ? TypedResults.Ok(ApiViews.Request(request))
            : ApiProblems.Create(StatusCodes.Status404NotFound, ApiErrorCodes.NotFound, "Not found", $"There is no partition request {requestId}.");

    public async Task<IResult> ListAsync(PartitionRequestFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        RequestStatus? status = null;
        if (filter.Status is { } statusName)
        {
            if (!Enum.TryParse<RequestStatus>(statusName, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                return ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", $"status '{statusName}' is not one of {string.Join(", ", Enum.GetNames<RequestStatus>())}.");
            }

            status = parsed;
        }

        var invalidToken = ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", "continuationToken is not one this API gave out; start again without it.");
        string? storeToken = null;
        if (filter.ContinuationToken is { } token)
        {
            // The store's tokens hold spaces and key text; clients get them base64url-encoded, opaque and URL-safe.
            try
            {
                storeToken = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            }
            catch (FormatException)
            {
                return invalidToken;
            }
        }

        RequestPage page;
        try
        {
            page = await service.ListAsync(new RequestListQuery(filter.Cluster, null, status, filter.Vm, filter.PageSize, storeToken), cancellationToken);
        }
        catch (Exception ex) when (storeToken is not null && ex is FormatException or ArgumentException or Azure.RequestFailedException)
        {
            return invalidToken;
        }

        var next = page.ContinuationToken is { } more ? Base64Url.EncodeToString(Encoding.UTF8.GetBytes(more)) : null;
        return TypedResults.Ok(new PartitionRequestListView([.. page.Requests.Select(ApiViews.Request)], next));
    }

    private static string Location(string id) => $"{RequestsPath}/{Uri.EscapeDataString(id)}";

    private string Caller() => http.HttpContext?.User.Identity?.Name is { Length: > 0 } name ? name : "unknown";
}
