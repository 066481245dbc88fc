namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>What losing one node would do to its clustered GPU VMs.</summary>
/// <param name="Node">The node lost.</param>
/// <param name="GpuVms">Its clustered VMs holding a partition, by name: the VMs the cluster would restart elsewhere.</param>
/// <param name="FreeElsewhere">Free partitions on the other nodes on GPUs of the models those VMs use.</param>
/// <param name="Short">How many of <paramref name="GpuVms"/> could not get a partition elsewhere (0: all restart).</param>
public sealed record NodeLoss(string Node, IReadOnlyList<string> GpuVms, int FreeElsewhere, int Short)
{
    public bool StrandsVms => Short > 0;
}
