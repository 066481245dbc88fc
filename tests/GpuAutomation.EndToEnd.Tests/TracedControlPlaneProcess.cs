namespace GpuAutomation.EndToEnd.Tests;

/// <summary>The control plane process with its finished spans written to <see cref="SpanFile"/> (and nothing exported).</summary>
public sealed class TracedControlPlaneProcess : ControlPlaneProcess
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "gpu-e2e-spans", Guid.NewGuid().ToString("N"));

    public string SpanFile => Path.Combine(Folder, "control-plane.jsonl");

    public string HostSpanFile(string node) => Path.Combine(Folder, $"host-{node}.jsonl");

    protected override IEnumerable<(string Name, string Value)> ExtraSettings() => [("GpuAutomation__Telemetry__SpanFile", SpanFile)];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A process may still hold a file for a moment; the temp folder is cleaned by the OS.
        }
    }
}
