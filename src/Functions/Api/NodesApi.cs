using GpuAutomation.ControlPlane.Nodes;
using GpuAutomation.Functions.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// <c>/api/clusters/{cluster}/nodes</c>: the node registry. Reports count only from registered nodes (issue 16,
/// item 2); the deployment's configuration registers nodes too (GpuAutomation:Nodes), those can't be removed here.
/// </summary>
public static class NodesApi
{
    public const string NodeNotRegistered = "node-not-registered";

    public static IEndpointRouteBuilder MapNodesApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/clusters/{cluster}/nodes").WithTags("Nodes");
        api.MapGet(string.Empty, ListAsync).RequireAuthorization(ApiPolicies.Reader).ProducesProblems(400, 401, 403).WithName("ListNodes");
        api.MapGet("/{node}", GetAsync).RequireAuthorization(ApiPolicies.Reader).ProducesProblems(400, 401, 403, 404).WithName("GetNode");
        api.MapPut("/{node}", RegisterAsync)
            .RequireAuthorization(ApiPolicies.Operator)
            .Accepts<NodeRegistrationBody>("application/json")
            .ProducesProblems(400, 401, 403, 413, 415)
            .WithName("RegisterNode");
        api.MapDelete("/{node}", RemoveAsync).RequireAuthorization(ApiPolicies.Operator).ProducesProblems(400, 401, 403, 404, 409).WithName("RemoveNode");
        api.MapDelete("/{node}/inventory", ResetInventoryAsync).RequireAuthorization(ApiPolicies.Operator).ProducesProblems(400, 401, 403, 404).WithName("ResetNodeInventory");
        return endpoints;
    }

    public static async Task<Results<Ok<NodeRegistrationListView>, ProblemHttpResult>> ListAsync(string cluster, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (ApiNames.CheckCluster(cluster) is { } invalid)
        {
            return invalid;
        }

        var nodes = await services.Nodes.ListAsync(cluster, cancellationToken);
        return TypedResults.Ok(new NodeRegistrationListView([.. nodes.Select(View)]));
    }

    public static async Task<Results<Ok<NodeRegistrationView>, ProblemHttpResult>> GetAsync(string cluster, string node, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if ((ApiNames.CheckCluster(cluster) ?? ApiNames.CheckNode(node)) is { } invalid)
        {
            return invalid;
        }

        return await services.Nodes.GetAsync(cluster, node, cancellationToken) is { } registered
            ? TypedResults.Ok(View(registered))
            : NotRegistered(cluster, node);
    }

    public static async Task<Results<Ok<NodeRegistrationView>, ProblemHttpResult>> RegisterAsync(
        string cluster,
        string node,
        HttpRequest request,
        [AsParameters] ApiServices services,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if ((ApiNames.CheckCluster(cluster) ?? ApiNames.CheckNode(node)) is { } invalid)
        {
            return invalid;
        }

        var body = await StrictJsonBody.ReadAsync(request, ApiJsonContext.Default.NodeRegistrationBody, cancellationToken);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Value.PrincipalId == Guid.Empty)
        {
            return ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", "principalId is the empty GUID; give the object id of the node's managed identity.");
        }

        var registered = await services.Nodes.RegisterAsync(cluster, node, body.Value.PrincipalId.ToString(), services.Time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(View(registered));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(string cluster, string node, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if ((ApiNames.CheckCluster(cluster) ?? ApiNames.CheckNode(node)) is { } invalid)
        {
            return invalid;
        }

        if (await services.Nodes.RemoveAsync(cluster, node, cancellationToken))
        {
            return TypedResults.NoContent();
        }

        return await services.Nodes.GetAsync(cluster, node, cancellationToken) is { Source: RegisteredNode.FromConfiguration }
            ? ApiProblems.Create(StatusCodes.Status409Conflict, ApiErrorCodes.NodeConfigured, "Node is configured", $"Node {cluster}/{node} is registered by the deployment's configuration (GpuAutomation:Nodes); remove it there.")
            : NotRegistered(cluster, node);
    }

    /// <summary>Drops the node's stored inventory so its next snapshot is taken whatever its date (a clock that ran ahead and was corrected).</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> ResetInventoryAsync(string cluster, string node, [AsParameters] ApiServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if ((ApiNames.CheckCluster(cluster) ?? ApiNames.CheckNode(node)) is { } invalid)
        {
            return invalid;
        }

        return await services.InventoryReset.ResetNodeAsync(cluster, node, cancellationToken)
            ? TypedResults.NoContent()
            : ApiProblems.Create(StatusCodes.Status404NotFound, ApiErrorCodes.NotFound, "No inventory", $"Node {cluster}/{node} has no stored inventory.");
    }

    private static ProblemHttpResult NotRegistered(string cluster, string node)
        => ApiProblems.Create(StatusCodes.Status404NotFound, NodeNotRegistered, "Node not registered", $"Node {cluster}/{node} is not registered.");

    private static NodeRegistrationView View(RegisteredNode node)
        => new(node.Cluster, node.Node, node.PrincipalId, node.Source, node.RegisteredAt, node.ClockSkew?.TotalSeconds, node.ClockSkewSeenAt);
}
