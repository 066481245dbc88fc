namespace GpuAutomation.ControlPlane;

/// <summary>UUIDv7 ids (32 hex digits): unique, and ordered by creation time so a node's requests list oldest first.</summary>
public sealed class TimeOrderedIdSource(TimeProvider time) : IIdSource
{
    public string NewId() => Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
}
