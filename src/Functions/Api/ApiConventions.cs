using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace GpuAutomation.Functions.Api;

/// <summary>What every route declares for the OpenAPI document beyond its typed results: its problem statuses and headers.</summary>
public static class ApiConventions
{
    /// <summary>Each status is answered as problem+json with a stable <c>code</c> member (<see cref="ApiErrorCodes"/>, request codes).</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var status in statuses)
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }

    /// <summary>Routes that change something take an optional Idempotency-Key header: a retry with the same key returns the first result.</summary>
    public static RouteHandlerBuilder WithIdempotencyKey(this RouteHandlerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = IdempotencyKey.HeaderName,
                In = ParameterLocation.Header,
                Required = false,
                Description = $"A retried change with the same key returns the request(s) first created with it. 1 to {ApiNames.MaxIdempotencyKeyLength} printable ASCII characters without spaces.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = ApiNames.MaxIdempotencyKeyLength },
            });
            return Task.CompletedTask;
        });
    }
}
