namespace GpuAutomation.Functions.Api;

/// <summary>Body of <c>PUT /api/clusters/{cluster}/nodes/{node}</c>.</summary>
/// <param name="PrincipalId">The object id of the node's managed identity (Arc machine): the identity its reports must carry.</param>
public sealed record NodeRegistrationBody(Guid PrincipalId);
