namespace GpuAutomation.Functions.Api;

/// <summary>
/// What the partitioning API asks of the control plane core (validation, lifecycle, outbox). Called only with
/// validated input; answers the HTTP result: 202 with the request(s) and a Location, or problem+json with a code
/// (400/404/409/422) when validation refuses — and then nothing is stored or sent.
/// </summary>
public interface IPartitioningRequests
{
    Task<IResult> ChangePartitionCountAsync(string cluster, PartitionCountChange change, string? idempotencyKey, CancellationToken cancellationToken);

    Task<IResult> SubmitAsync(PartitionRequestSubmission submission, string? idempotencyKey, CancellationToken cancellationToken);

    /// <summary>Status, steps and error of one request.</summary>
    Task<IResult> GetAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>One page of requests, newest first, with a continuation token when more remain.</summary>
    Task<IResult> ListAsync(PartitionRequestFilter filter, CancellationToken cancellationToken);
}
