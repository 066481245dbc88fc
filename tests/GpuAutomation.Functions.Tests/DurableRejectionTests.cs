using System.Net;
using System.Text;
using Azure.Data.Tables;
using GpuAutomation.ControlPlane.Rejections;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Testing;

namespace GpuAutomation.Functions.Tests;

/// <summary>With a table endpoint configured, a refused message is recorded in Table Storage (Azurite here).</summary>
public sealed class DurableRejectionTests
{
    [Fact]
    public async Task A_rejected_report_is_stored_in_the_rejected_messages_table()
    {
        var connection = TestServices.AzuriteTablesConnectionString;
        var prefix = "t" + Guid.NewGuid().ToString("N")[..12];
        await using var app = await RunningApp.StartAsync(
            HostingMode.FunctionsHost,
            settings: new Dictionary<string, string>
            {
                ["GpuAutomation:Tables:ConnectionString"] = connection,
                ["GpuAutomation:ControlPlane:TablePrefix"] = prefix,
            });

        using var response = await app.Client.PostAsync(
            new Uri("/" + FunctionNames.HostReports, UriKind.Relative),
            new StringContent(Payloads.ServiceBusBinary(Encoding.UTF8.GetBytes("[]"), "poison-1"), Encoding.UTF8, "application/json"));

        // Read back by a store of its own over the same tables: what the app recorded is in Table Storage.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = new RejectedMessageStore(new TableStorageRecordTableSource(new TableServiceClient(connection), prefix));
        var rejected = Assert.Single(await stored.RecentAsync(1000, default));
        Assert.Equal(("poison-1", "malformed-json", "[]"), (rejected.MessageId, rejected.Code, rejected.Excerpt));
    }
}
