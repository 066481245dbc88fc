using System.Globalization;
using GpuAutomation.Functions.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// <c>/api/rejected-messages</c>: what the control plane refused (malformed messages, forged, unregistered,
/// future-dated reports…) with the reason, so refusals are visible, never silent (issue 16, item 3).
/// </summary>
public static class RejectedMessagesApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapRejectedMessagesApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/rejected-messages", ListAsync)
            .WithTags("RejectedMessages")
            .RequireAuthorization(ApiPolicies.Reader)
            .ProducesProblems(400, 401, 403)
            .WithName("ListRejectedMessages");
        return endpoints;
    }

    public static async Task<Results<Ok<RejectedMessageListView>, ProblemHttpResult>> ListAsync(
        string? limit,
        [AsParameters] ApiServices services,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var count = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxLimit))
        {
            return ApiProblems.BadRequest(ApiErrorCodes.InvalidQuery, "Invalid query", string.Create(CultureInfo.InvariantCulture, $"limit must be a whole number from 1 to {MaxLimit}."));
        }

        var rejected = await services.RejectedMessages.RecentAsync(count, cancellationToken);
        return TypedResults.Ok(new RejectedMessageListView([.. rejected.Select(r => new RejectedMessageView(r.Trigger, r.MessageId, r.Code, r.Reason, r.RejectedAt, r.Excerpt))]));
    }
}
