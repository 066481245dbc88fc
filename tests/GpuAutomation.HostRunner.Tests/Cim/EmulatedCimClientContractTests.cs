using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Tests.Cim;

public sealed class EmulatedCimClientContractTests : CimClientContract
{
    protected override ICimClient CreateClient() => Emulator.Cluster().ClientFor("node1");
}
