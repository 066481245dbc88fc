namespace GpuAutomation.Functions.Api;

public static class ApiRegistration
{
    /// <summary>JSON contracts of the API bodies, problem+json for errors, and the OpenAPI document.</summary>
    public static IServiceCollection AddRestApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
        // Problems the framework raises itself (routing 404/405, media type 415) carry a code like ours do.
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Extensions.TryAdd("code", ApiErrorCodes.ForStatus(problem.Status ?? context.HttpContext.Response.StatusCode));
            problem.Detail ??= $"{context.HttpContext.Request.Method} {context.HttpContext.Request.Path}: {problem.Title}.";
        });
        services.AddOpenApi("v1");
        return services;
    }

    /// <summary>Every REST endpoint group and the OpenAPI document at <see cref="HealthApi.OpenApiPath"/>.</summary>
    public static IEndpointRouteBuilder MapRestApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthApi();
        endpoints.MapClustersApi();
        endpoints.MapRolloutsApi();
        endpoints.MapNodesApi();
        endpoints.MapRejectedMessagesApi();
        endpoints.MapPartitionRequestsApi();
        endpoints.MapPoliciesApi();
        endpoints.MapComplianceApi();
        endpoints.MapOpenApi("/api/openapi/{documentName}.json").AllowAnonymous();
        return endpoints;
    }
}
