using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>RFC 7807 problem+json responses carrying a stable <c>code</c> extension member.</summary>
public static class ApiProblems
{
    public static ProblemHttpResult Create(int status, string code, string title, string detail)
        => TypedResults.Problem(
            detail: detail,
            statusCode: status,
            title: title,
            type: $"https://gpu-automation.invalid/problems/{code}",
            extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ProblemHttpResult BadRequest(string code, string title, string detail)
        => Create(StatusCodes.Status400BadRequest, code, title, detail);
}
