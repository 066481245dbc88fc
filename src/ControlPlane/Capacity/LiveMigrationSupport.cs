using System.Globalization;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Capacity;

/// <summary>
/// Whether a node can live-migrate a VM that holds a GPU partition, as far as the control plane can tell from
/// inventory. Live migration of GPU-P VMs needs Windows Server 2025 / Azure Local 24H2, OS build 26100 or later
/// (learn.microsoft.com/windows-server/virtualization/hyper-v/gpu-partitioning, "Live migration"), on both nodes.
/// The GPU driver's own requirement (NVIDIA vGPU 18 or later, per the issue) is checked by the agent before it
/// migrates; no public source maps a driver build to a vGPU release precisely enough to check it here, so a plan's
/// live migration may still fall back to stop, move and start on the host.
/// </summary>
public static class LiveMigrationSupport
{
    public const int MinimumOsBuild = 26100;

    public static bool Between(NodeInventory from, NodeInventory to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return Supports(from) && Supports(to);
    }

    public static bool Supports(NodeInventory node)
    {
        ArgumentNullException.ThrowIfNull(node);
        // BuildNumber ("26100"); some sources add the revision ("26100.2314"): the build is what comes before the dot.
        var build = node.Host.OsBuild.Split('.')[0];
        return int.TryParse(build, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= MinimumOsBuild;
    }
}
