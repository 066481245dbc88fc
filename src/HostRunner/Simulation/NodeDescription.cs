namespace GpuAutomation.HostRunner.Simulation;

/// <summary>A simulated node.</summary>
/// <param name="Language">
/// The host's display language: "de-DE" localizes Msvm_ComputerSystem.Caption the way a German host does, because
/// Caption is localized on real hosts (GNS3 gns3-server #1612, containers/libhvee #52/#62; fidelity audit E20).
/// The German words are illustrative; what matters is that they are not the English ones.
/// </param>
/// <param name="Captured">Facts captured on a real node (<c>HostRunner capture</c>); the emulator answers with them.</param>
public sealed record NodeDescription(string Name, IReadOnlyList<GpuDescription> Gpus, IReadOnlyList<VmDescription> Vms, string OsBuild = "26100", string Language = "en-US",
    NodeCapture? Captured = null);
