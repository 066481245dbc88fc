namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// ERROR_RESOURCE_PROPERTIES_STORED: the cluster stored a resource's properties and applies them at its next offline
/// (MS-CMRP, CLUSCTL_RESOURCE_SET_PRIVATE_PROPERTIES returns 0x000013A0 for an online resource). That is success.
/// How WMI surfaces it is not documented (fidelity audit row 50): as the Win32 code 5024 or as its HRESULT
/// 0x800713A0, so both count.
/// </summary>
public static class ResourcePropertiesStored
{
    public const uint Win32Code = 0x13A0;
    public const uint HResult = 0x800713A0;

    public static bool Is(uint? code) => code is Win32Code or HResult;
}
