namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// What <c>HostRunner capture</c> read on a node that the model-based description has no place for. When present,
/// the emulator answers with these facts instead of its own defaults, so a captured host becomes a fixture.
/// </summary>
/// <param name="HostCaption">The host's Msvm_ComputerSystem.Caption as read (localized on non-English hosts).</param>
/// <param name="VmCaption">A VM's Msvm_ComputerSystem.Caption as read; null when the host had no VM.</param>
/// <param name="TemplateValues">
/// The Default GPU partition template's twelve uint64 values by property name; a null value was NULL on the host (as
/// on the real-host test in Justsenger/HyperV-WMI-Documentation, recipe gpu_partition; fidelity audit rows 18, E5).
/// </param>
/// <param name="OsCaption">Win32_OperatingSystem.Caption (the edition).</param>
/// <param name="DisplayDevices">Win32_PnPEntity display devices that are not partitionable GPUs (DDA GPUs, a BMC's VGA).</param>
public sealed record NodeCapture(
    string? HostCaption,
    string? VmCaption,
    IReadOnlyDictionary<string, ulong?> TemplateValues,
    string? OsCaption,
    IReadOnlyList<DisplayDeviceCapture> DisplayDevices);
