namespace GpuAutomation.ControlPlane.Storage;

/// <summary>A store write whose condition failed, with a <see cref="StoreErrors"/> code.</summary>
public sealed class StoreException : Exception
{
    public StoreException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public StoreException()
        : this(StoreErrors.Unknown, "The store could not complete the operation.")
    {
    }

    public StoreException(string message)
        : this(StoreErrors.Unknown, message)
    {
    }

    public StoreException(string message, Exception innerException)
        : this(StoreErrors.Unknown, message, innerException)
    {
    }

    public string Code { get; }

    /// <summary>True when reading again and redoing the change may succeed.</summary>
    public bool IsConflict => Code is StoreErrors.ETagMismatch or StoreErrors.RowExists or StoreErrors.RowMissing;
}
