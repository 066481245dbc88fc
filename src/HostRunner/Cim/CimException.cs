namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// The one failure type of the CIM seam and the operations above it. <see cref="Code"/> is one of
/// <see cref="CimErrors"/>; <see cref="NativeCode"/> keeps the provider's number (method return value, MI result,
/// job ErrorCode or Win32 error) for the log.
/// </summary>
public sealed class CimException : Exception
{
    public CimException(string code, string message, uint? nativeCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        NativeCode = nativeCode;
    }

    public CimException()
        : this(CimErrors.Failed, "The CIM operation failed.")
    {
    }

    public CimException(string message)
        : this(CimErrors.Failed, message)
    {
    }

    public CimException(string message, Exception innerException)
        : this(CimErrors.Failed, message, null, innerException)
    {
    }

    public string Code { get; }

    public uint? NativeCode { get; }
}
