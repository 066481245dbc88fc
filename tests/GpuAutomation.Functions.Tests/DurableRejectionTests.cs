using GpuAutomation.ControlPlane.Rejections;
using System.Net;
using System.Text;
using Azure.Data.Tables;
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
        var messageId = "poison-" + Guid.NewGuid().ToString("N")[..8];
        await using var app = await RunningApp.StartAsync(
            HostingMode.FunctionsHost,
            settings: new Dictionary<string, string> { ["GpuAutomation:Tables:ConnectionString"] = connection });

        using var response = await app.Client.PostAsync(
            new Uri("/" + FunctionNames.HostReports, UriKind.Relative),
            new StringContent(Payloads.ServiceBusBinary(Encoding.UTF8.GetBytes("[]"), messageId), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = new TableRejectedMessageLog(new TableClient(connection, TableRejectedMessageLog.DefaultTableName));
        var rejected = Assert.Single(await stored.RecentAsync(1000, default), r => r.MessageId == messageId);
        Assert.Equal("malformed-json", rejected.Code);
        Assert.Equal("[]", rejected.Excerpt);
    }
}
