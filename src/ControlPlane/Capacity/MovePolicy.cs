using System.Text.Json.Serialization;

namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>Whether the control plane may move a GPU VM to another node of its cluster to give it a partition.</summary>
public enum MovePolicy
{
    /// <summary>VMs stay where they are.</summary>
    [JsonStringEnumMemberName("never")]
    Never,

    /// <summary>A VM moves only while off: a running VM is stopped, its cluster group moved, and started again.</summary>
    [JsonStringEnumMemberName("when-off")]
    WhenOff,

    /// <summary>A running VM is live-migrated where both nodes support GPU-P live migration, otherwise as <see cref="WhenOff"/>.</summary>
    [JsonStringEnumMemberName("live-migrate")]
    LiveMigrate,
}
