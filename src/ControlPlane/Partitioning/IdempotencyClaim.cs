namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>Who holds an idempotency key.</summary>
/// <param name="RequestId">The request created (or being created) with the key.</param>
/// <param name="Fingerprint">What was asked with it (<see cref="SubmissionFingerprint"/>); null for claims written
/// before fingerprints were kept, which are not compared.</param>
public sealed record IdempotencyClaim(string RequestId, string? Fingerprint)
{
    /// <summary>True when the key was first used to ask for something else.</summary>
    public bool IsReusedFor(string fingerprint) => Fingerprint is not null && !string.Equals(Fingerprint, fingerprint, StringComparison.Ordinal);
}
