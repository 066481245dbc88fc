using System.Text;
using System.Text.Json;
using GpuAutomation.Functions.Policies;
using GpuAutomation.Functions.Provisioning;
using GpuAutomation.Functions.Storage;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// <see cref="IPolicyDocuments"/> over <see cref="PolicyStore"/>. GET answers the stored policy document (or the
/// default policy when none was set) exactly as PUT takes it, so a GET → edit → PUT round trip works. A policy may be
/// set before any node of its cluster reports. A refused document is 400 invalid-policy with every problem listed.
/// </summary>
public sealed class PolicyDocuments(PolicyStore policies, IHttpContextAccessor http, TimeProvider time) : IPolicyDocuments
{
    private const int MaxSaveAttempts = 5;

    public async Task<IResult> GetAsync(string cluster, CancellationToken cancellationToken)
    {
        var policy = await policies.GetEffectiveAsync(cluster, cancellationToken);
        return TypedResults.Bytes(PolicyDocument.Serialize(policy), "application/json");
    }

    public async Task<IResult> PutAsync(string cluster, JsonElement policy, CancellationToken cancellationToken)
    {
        ProvisioningPolicy parsed;
        try
        {
            parsed = PolicyDocument.Parse(Encoding.UTF8.GetBytes(policy.GetRawText()));
        }
        catch (PolicyDocumentException ex)
        {
            return TypedResults.Problem(
                detail: $"The policy of cluster {cluster} was not saved: {string.Join(" ", ex.Problems)}",
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid policy",
                type: $"https://gpu-automation.invalid/problems/{PolicyDocumentException.ErrorCode}",
                extensions: new Dictionary<string, object?> { ["code"] = PolicyDocumentException.ErrorCode, ["problems"] = ex.Problems.ToArray() });
        }

        var caller = http.HttpContext?.User.Identity?.Name is { Length: > 0 } name ? name : "unknown";
        for (var attempt = 1; ; attempt++)
        {
            // Conditional on what was just read: a concurrent PUT makes this one read again rather than interleave.
            var current = await policies.GetAsync(cluster, cancellationToken);
            try
            {
                await policies.SaveAsync(cluster, parsed, time.GetUtcNow(), caller, current?.ETag, cancellationToken);
                break;
            }
            catch (StoreException) when (attempt < MaxSaveAttempts)
            {
            }
        }

        return TypedResults.Bytes(PolicyDocument.Serialize(parsed), "application/json");
    }
}
