using System.Buffers.Text;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.Functions.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// <c>/api/partition-requests</c>: submit an assign or unassign, read one request, list requests. A refused submission
/// answers a problem whose status follows <see cref="RequestProblems"/>; the core keeps it as a Rejected request (its
/// id is the problem's requestId) and sends nothing. Idempotency keys are namespaced ("api:&lt;caller&gt;:") so they never meet the
/// keys the core makes for event-driven provisioning; a retried key returns the first request. An assign that asks
/// to wait (<c>queue</c>, or the policy's default) answers 202 Queued with its position instead of a capacity refusal;
/// <c>POST /api/partition-requests/{id}/cancel</c> (Operator) ends a queued one.
/// </summary>
public static class PartitionRequestsApi
{
    public const string RequestsPath = "/api/partition-requests";

    public static IEndpointRouteBuilder MapPartitionRequestsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup(RequestsPath).WithTags("PartitionRequests");
        api.MapPost(string.Empty, SubmitAsync)
            .RequireAuthorization(ApiPolicies.Operator)
            .Accepts<PartitionRequestBody>("application/json")
            .WithIdempotencyKey()
            .ProducesProblems(400, 401, 403, 409, 413, 415, 422)
            .WithName("SubmitPartitionRequest");
        api.MapGet(string.Empty, ListAsync).RequireAuthorization(ApiPolicies.Reader).ProducesProblems(400, 401, 403).WithName("ListPartitionRequests");
        api.MapGet("/{id}", GetAsync).RequireAuthorization(ApiPolicies.Reader).ProducesProblems(400, 401, 403, 404).WithName("GetPartitionRequest");
        api.MapPost("/{id}/cancel", CancelAsync).RequireAuthorization(ApiPolicies.Operator).ProducesProblems(400, 401, 403, 404, 409).WithName("CancelPartitionRequest");
        return endpoints;
    }

    public static async Task<Results<Accepted<PartitionRequestView>, ProblemHttpResult>> SubmitAsync(
        HttpRequest request,
        ClaimsPrincipal user,
        [AsParameters] ApiServices services,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var idempotencyKey = IdempotencyKey.Read(request, out var invalidKey);
        if (invalidKey is not null)
        {
            return invalidKey;
        }

        var body = await StrictJsonBody.ReadAsync(request, ApiJsonContext.Default.PartitionRequestBody, cancellationToken);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        var submission = body.Value;
        var invalid = ApiNames.CheckCluster(submission.Cluster)
            ?? ApiNames.CheckVm(submission.Vm)
            ?? (submission.Node is null ? null : ApiNames.CheckNode(submission.Node))
            ?? (submission.Gpu is null ? null : ApiNames.CheckGpu(submission.Gpu));
        if (invalid is not null)
        {
            return invalid;
        }

        if (!Enum.IsDefined(submission.Action))
        {
            return ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", "action must be \"assign\" or \"unassign\".");
        }

        var queue = submission.Queue is { } terms ? new QueueTerms(terms.MaxWaitMinutes, terms.Priority) : null;
        if (queue is not null && (submission.Action != PartitionActionBody.Assign || queue.Problems("queue") is { Count: > 0 }))
        {
            var why = submission.Action != PartitionActionBody.Assign ? "queue: only an assign waits for capacity." : string.Join(" ", queue.Problems("queue"));
            return ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", why);
        }

        var core = new PartitionRequestSubmission(
            submission.Action == PartitionActionBody.Assign ? PartitionAction.Assign : PartitionAction.Unassign,
            submission.Cluster,
            Node: submission.Node,
            VmName: submission.Vm,
            GpuInstancePaths: submission.Gpu is null ? null : [submission.Gpu],
            Origin: RequestOrigin.Api,
            RequestedBy: ApiServices.Caller(user),
            IdempotencyKey: IdempotencyKey.Scoped(idempotencyKey, user),
            Queue: queue);
        SubmitOutcome outcome;
        try
        {
            outcome = await services.Requests.SubmitAsync(core, cancellationToken);
        }
        catch (ControlPlaneException ex)
        {
            return RequestProblems.Refused(new RequestNotice(ex.Code, ex.Message), null);
        }

        return outcome.IsRejected
            ? RequestProblems.Refused(outcome.Request.Error!, outcome.Request.Id)
            : TypedResults.Accepted(Location(outcome.Request.Id), ApiViews.QueuedRequest(outcome.Request, outcome.QueuePosition));
    }

    /// <summary>Cancels a queued request: 200 with it Cancelled; 409 not-queued once it was admitted or ended.</summary>
    public static async Task<Results<Ok<PartitionRequestView>, ProblemHttpResult>> CancelAsync(string id, ClaimsPrincipal user, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (ApiNames.CheckToken(id, "id", ApiNames.MaxRequestIdLength) is { } invalid)
        {
            return invalid;
        }

        try
        {
            return await services.Requests.CancelAsync(id, ApiServices.Caller(user), cancellationToken) is { } cancelled
                ? TypedResults.Ok(ApiViews.Request(cancelled))
                : ApiProblems.Create(StatusCodes.Status404NotFound, ApiErrorCodes.NotFound, "Not found", $"There is no partition request {id}.");
        }
        catch (ControlPlaneException ex) when (ex.Code == RequestCodes.NotQueued)
        {
            return RequestProblems.Refused(new RequestNotice(ex.Code, ex.Message), id);
        }
    }

    public static async Task<Results<Ok<PartitionRequestView>, ProblemHttpResult>> GetAsync(string id, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (ApiNames.CheckToken(id, "id", ApiNames.MaxRequestIdLength) is { } invalid)
        {
            return invalid;
        }

        return await services.Requests.GetAsync(id, cancellationToken) is { } found
            ? TypedResults.Ok(ApiViews.QueuedRequest(found, await services.Requests.PositionOfAsync(found, cancellationToken)))
            : ApiProblems.Create(StatusCodes.Status404NotFound, ApiErrorCodes.NotFound, "Not found", $"There is no partition request {id}.");
    }

    public static async Task<Results<Ok<PartitionRequestListView>, ProblemHttpResult>> ListAsync(HttpRequest request, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(services);
        var query = ReadQuery(request.Query, out var invalid);
        if (invalid is not null)
        {
            return invalid;
        }

        RequestPage page;
        try
        {
            page = await services.Requests.ListAsync(query!, cancellationToken);
        }
        catch (Exception ex) when (query!.ContinuationToken is not null && ex is FormatException or ArgumentException or ControlPlane.Storage.StoreException)
        {
            return InvalidToken();
        }

        var next = page.ContinuationToken is { } more ? Base64Url.EncodeToString(Encoding.UTF8.GetBytes(more)) : null;
        var positions = await QueuePositionsAsync(page.Requests, services, cancellationToken);
        return TypedResults.Ok(new PartitionRequestListView(
            [.. page.Requests.Select(r => ApiViews.QueuedRequest(r, positions.TryGetValue(r.Id, out var position) ? position : null))],
            next));
    }

    /// <summary>Deepest a list reads into one cluster's queue for positions; a request further back is listed without one.</summary>
    public const int MaxQueuePositions = 10_000;

    /// <summary>
    /// The place of each Queued request of the page in its cluster's queue, read once per cluster in admission order
    /// (the order <see cref="RequestQueue.PositionAsync"/> counts in), so a list of queued requests shows what a GET
    /// of each would, without one queue read per request.
    /// </summary>
    private static async Task<Dictionary<string, int>> QueuePositionsAsync(IReadOnlyList<PartitionRequest> requests, ApiServices services, CancellationToken cancellationToken)
    {
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var cluster in requests.Where(r => r.Status == RequestStatus.Queued).Select(r => r.Cluster).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var entries = await services.Queue.ListAsync(cluster, MaxQueuePositions, cancellationToken);
            for (var i = 0; i < entries.Count; i++)
            {
                positions.TryAdd(entries[i].RequestId, i + 1);
            }
        }

        return positions;
    }

    private static readonly string[] KnownQueryKeys = ["cluster", "status", "vm", "pageSize", "continuationToken"];

    /// <summary>The query as the core's <see cref="RequestListQuery"/>; every problem answered 400 invalid-query (names: invalid-name).</summary>
    private static RequestListQuery? ReadQuery(IQueryCollection query, out ProblemHttpResult? invalid)
    {
        invalid = null;
        foreach (var key in query.Keys)
        {
            if (!KnownQueryKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                invalid = ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", $"Unknown query parameter '{key}'; known are {string.Join(", ", KnownQueryKeys)}.");
                return null;
            }

            if (query[key].Count > 1)
            {
                invalid = ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", $"Query parameter '{key}' is given {query[key].Count} times; give it once.");
                return null;
            }
        }

        var cluster = Optional(query, "cluster");
        var vm = Optional(query, "vm");
        invalid = (cluster is null ? null : ApiNames.CheckCluster(cluster)) ?? (vm is null ? null : ApiNames.CheckVm(vm));
        if (invalid is not null)
        {
            return null;
        }

        RequestStatus? status = null;
        if (Optional(query, "status") is { } statusName)
        {
            if (!statusName.All(char.IsAsciiLetter) || !Enum.TryParse<RequestStatus>(statusName, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
            {
                invalid = ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", $"status '{statusName}' is not one of {string.Join(", ", Enum.GetNames<RequestStatus>())}.");
                return null;
            }

            status = parsed;
        }

        var pageSize = DefaultPageSize;
        if (Optional(query, "pageSize") is { } pageSizeText
            && (!int.TryParse(pageSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
        {
            invalid = ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", $"pageSize '{pageSizeText}' must be a whole number from 1 to {MaxPageSize}.");
            return null;
        }

        string? storeToken = null;
        if (Optional(query, "continuationToken") is { } token)
        {
            // The store's tokens hold spaces and key text; clients get them base64url-encoded, opaque and URL-safe.
            try
            {
                storeToken = token.Length <= 2048 ? Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token)) : throw new FormatException();
            }
            catch (FormatException)
            {
                invalid = InvalidToken();
                return null;
            }
        }

        return new RequestListQuery(cluster, null, status, vm, pageSize, storeToken);
    }

    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    private static ProblemHttpResult InvalidToken()
        => ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", "continuationToken is not one this API gave out; start again without it.");

    private static string? Optional(IQueryCollection query, string key)
        => query.TryGetValue(key, out var values) && values.ToString() is { Length: > 0 } value ? value : null;

    public static string Location(string id) => $"{RequestsPath}/{Uri.EscapeDataString(id)}";
}
