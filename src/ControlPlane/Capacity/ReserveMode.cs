using System.Text.Json.Serialization;

namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>How many free partitions admission keeps back from new assignments (a cluster policy's <c>reserve</c>).</summary>
public enum ReserveMode
{
    /// <summary>Nothing is kept back: the last free partition can be granted.</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>A fixed number of partitions stays free across the cluster (<c>reservePartitions</c>).</summary>
    [JsonStringEnumMemberName("fixed")]
    Fixed,

    /// <summary>
    /// Enough partitions stay free on the other nodes to restart the GPU VMs of whichever node would leave the most
    /// stranded (see <see cref="FailoverHeadroom"/>).
    /// </summary>
    [JsonStringEnumMemberName("n+1")]
    NPlusOne,
}
