using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Platform;

/// <summary>
/// Reads the platform's SR-IOV readiness instead of inferring it. Msvm_VirtualEthernetSwitchManagementCapabilities
/// (root\virtualization\v2) carries <c>boolean IOVSupport</c> and <c>string IOVSupportReasons[]</c>
/// (learn.microsoft.com/windows/win32/hyperv_v2/msvm-virtualethernetswitchmanagementcapabilities; fidelity audit
/// D-IOV, row 44). The class describes the switch service, but the readiness it reports is the platform's (firmware
/// SR-IOV, chipset DMA remapping), which GPU-P needs as much as SR-IOV NICs do. That GPU-P's readiness is exactly
/// this flag is our inference: no public source ties the two; `HostRunner check` shows both next to each other.
/// </summary>
public sealed class IovSupportReader(ICimClient cim)
{
    public const string CapabilitiesClass = "Msvm_VirtualEthernetSwitchManagementCapabilities";

    public async Task<IovSupport> ReadAsync(CancellationToken cancellationToken)
    {
        var instance = (await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(CapabilitiesClass), cancellationToken)).FirstOrDefault();
        return instance is null
            ? new IovSupport(null, [])
            : new IovSupport(instance.GetBoolean("IOVSupport"), instance.GetStringArray("IOVSupportReasons"));
    }
}
