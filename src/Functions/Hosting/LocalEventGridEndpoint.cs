using System.Text.Json;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Security;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Local trigger mode: accepts Event Grid deliveries directly (what the Event Grid extension does under the
/// Functions host) — the Event Grid schema and CloudEvents 1.0 (single or batch), with both subscription
/// validation handshakes. Requires the operator role like every other change.
/// </summary>
public static class LocalEventGridEndpoint
{
    public const string Path = "/local/eventgrid";

    /// <summary>Event Grid's own limit for a delivered batch.</summary>
    public const int MaxDeliveryBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapLocalEventGridEndpoint(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost(Path, DeliverAsync).RequireAuthorization(ApiPolicies.Operator).ExcludeFromDescription();
        endpoints.MapMethods(Path, [HttpMethods.Options], ValidateCloudEventsWebhook).RequireAuthorization(ApiPolicies.Operator).ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>The CloudEvents webhook handshake: echo the origin that asks to deliver.</summary>
    private static IResult ValidateCloudEventsWebhook(HttpContext context)
    {
        var origin = context.Request.Headers["WebHook-Request-Origin"].ToString();
        if (origin.Length == 0)
        {
            return ApiProblems.BadRequest(ApiErrorCodes.MissingHeader, "Missing header", "The CloudEvents validation request has no WebHook-Request-Origin header.");
        }

        context.Response.Headers["WebHook-Allowed-Origin"] = origin;
        context.Response.Headers["WebHook-Allowed-Rate"] = "*";
        return TypedResults.Ok();
    }

    private static async Task<IResult> DeliverAsync(HttpContext context, VmLifecycleEventIntake intake)
    {
        var body = await StrictJsonBody.ReadElementAsync(context.Request, MaxDeliveryBytes, context.RequestAborted);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        var events = EventGridEventReader.Split(body.Value);
        if (events.Count == 1 && EventGridEventReader.ValidationCode(events[0]) is { } code)
        {
            return TypedResults.Json(new EventGridValidationResponse(code), HostingJsonContext.Default.EventGridValidationResponse);
        }

        var outcomes = new List<InvocationOutcome>(events.Count);
        foreach (var element in events)
        {
            try
            {
                outcomes.Add(await intake.ProcessAsync(element, Path, context.RequestAborted));
            }
            catch (TriggerFailureException ex)
            {
                // Event Grid redelivers the whole batch on any failure; handlers are idempotent by event id.
                return ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, ex.Code, "Event not handled", ex.Message);
            }
        }

        return TypedResults.Json(outcomes, HostingJsonContext.Default.ListInvocationOutcome);
    }
}
