using Azure.Core.Pipeline;
using Azure.Data.Tables;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.Testing;

namespace GpuAutomation.ControlPlane.Tests.Support;

internal static class Backends
{
    public static IRecordTableSource InMemory() => new InMemoryRecordTableSource();

    /// <summary>Fresh tables in the test script's Azurite (a random prefix per call).</summary>
    public static IRecordTableSource Azurite(HttpPipelinePolicy? policy = null)
    {
        var options = new TableClientOptions();
        if (policy is not null)
        {
            options.AddPolicy(policy, Azure.Core.HttpPipelinePosition.PerCall);
        }

        return new TableStorageRecordTableSource(
            new TableServiceClient(TestServices.AzuriteTablesConnectionString, options),
            "t" + Guid.NewGuid().ToString("N")[..12]);
    }
}
