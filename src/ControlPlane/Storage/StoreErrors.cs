namespace GpuAutomation.ControlPlane.Storage;

/// <summary>Stable codes of <see cref="StoreException"/>.</summary>
public static class StoreErrors
{
    /// <summary>The row changed since it was read (HTTP 412): read it again and redo the change.</summary>
    public const string ETagMismatch = "store-etag-mismatch";

    /// <summary>An insert found the row already there (HTTP 409).</summary>
    public const string RowExists = "store-row-exists";

    /// <summary>A conditional replace or delete found no row (HTTP 404).</summary>
    public const string RowMissing = "store-row-missing";

    /// <summary>Too many concurrent writers kept changing the same rows; the caller may retry later.</summary>
    public const string Contention = "store-contention";

    /// <summary>The code of an exception made without one; never a meaningful code by accident.</summary>
    public const string Unknown = "store-unknown";
}
