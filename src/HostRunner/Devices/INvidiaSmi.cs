namespace GpuAutomation.HostRunner.Devices;

/// <summary>
/// The output of <c>nvidia-smi -q -x</c> on this host, or null when the tool is not installed. A port so the
/// emulator and tests hand over canned XML where the agent would start a process.
/// </summary>
public interface INvidiaSmi
{
    Task<string?> QueryXmlAsync(CancellationToken cancellationToken);
}
