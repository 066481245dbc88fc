namespace GpuAutomation.ControlPlane.Storage;

public enum RowChangeKind
{
    /// <summary>Fails with <see cref="StoreErrors.RowExists"/> when the row is there.</summary>
    Insert,

    /// <summary>Replaces the row; with an ETag, only the version that was read (else <see cref="StoreErrors.ETagMismatch"/>).</summary>
    Replace,

    /// <summary>Inserts or replaces unconditionally.</summary>
    Upsert,

    /// <summary>Deletes the row; with an ETag, only the version that was read.</summary>
    Delete,
}
