namespace GpuAutomation.ControlPlane;

/// <summary>
/// The one exception of the control plane's core, for what it can't do now or can't accept at all — never for a
/// refusal, which is a value (a Rejected request, a refused change). Like the Azure SDK's RequestFailedException: a
/// stable <see cref="Code"/> callers switch on, and whether retrying may help. Storage conditions stay
/// <see cref="Storage.StoreException"/> (the storage boundary's own).
/// </summary>
public sealed class ControlPlaneException : Exception
{
    /// <summary>The code of an exception made without one; never a meaningful code by accident.</summary>
    public const string UnknownCode = "unknown";

    public ControlPlaneException(string code, string message, bool isRetryable, IReadOnlyList<string>? problems = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        IsRetryable = isRetryable;
        Problems = problems ?? [message];
    }

    public ControlPlaneException()
        : this(UnknownCode, "The control plane could not handle the call.", isRetryable: false)
    {
    }

    public ControlPlaneException(string message)
        : this(UnknownCode, message, isRetryable: false)
    {
    }

    public ControlPlaneException(string message, Exception innerException)
        : this(UnknownCode, message, isRetryable: false, innerException: innerException)
    {
    }

    /// <summary>A stable code: one of <see cref="ControlPlaneErrorCodes"/> or of the request codes.</summary>
    public string Code { get; }

    /// <summary>True when the same call may succeed later unchanged (e.g. a key still being written, a VM not reported yet).</summary>
    public bool IsRetryable { get; }

    /// <summary>Every problem found, for inputs checked as a whole (a policy document lists all of its problems).</summary>
    public IReadOnlyList<string> Problems { get; }
}
