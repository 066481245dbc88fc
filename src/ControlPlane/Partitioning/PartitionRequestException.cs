namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>A submission that could not be handled now (not a rejection, which is a stored request), with a stable code.</summary>
public sealed class PartitionRequestException : Exception
{
    public PartitionRequestException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public PartitionRequestException()
        : this(RequestCodes.IdempotencyKeyInFlight, "The request could not be handled now.")
    {
    }

    public PartitionRequestException(string message)
        : this(RequestCodes.IdempotencyKeyInFlight, message)
    {
    }

    public PartitionRequestException(string message, Exception innerException)
        : this(RequestCodes.IdempotencyKeyInFlight, message, innerException)
    {
    }

    public string Code { get; }
}
