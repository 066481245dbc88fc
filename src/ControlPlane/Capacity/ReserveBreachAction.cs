using System.Text.Json.Serialization;

namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>What admission does with an assignment that would break the reserve (a cluster policy's <c>onReserveBreach</c>).</summary>
public enum ReserveBreachAction
{
    /// <summary>The request is refused with headroom-reserved (or queued, when it asked to wait).</summary>
    [JsonStringEnumMemberName("refuse")]
    Refuse,

    /// <summary>The request is accepted with a headroom-reserved warning.</summary>
    [JsonStringEnumMemberName("warn")]
    Warn,
}
