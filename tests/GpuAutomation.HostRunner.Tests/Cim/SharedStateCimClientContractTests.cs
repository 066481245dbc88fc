using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.HostRunner.Tests.Cim;

/// <summary>The --simulate client (emulator state shared through a file) keeps the CIM contract.</summary>
public sealed class SharedStateCimClientContractTests : CimClientContract, IDisposable
{
    private readonly string _stateFile = Path.Combine(Path.GetTempPath(), "shared-state-" + Guid.NewGuid().ToString("N") + ".json");

    public void Dispose() => File.Delete(_stateFile);

    protected override ICimClient CreateClient() => new SharedStateCimClient(Emulator.Cluster(), "node1", _stateFile);
}
