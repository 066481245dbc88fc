using Azure;
using Azure.Data.Tables;
using GpuAutomation.Testing;

namespace GpuAutomation.Smoke.Tests;

/// <summary>Proves the test script's Azurite answers Azure.Data.Tables like Table Storage does.</summary>
public sealed class TableStorageSmokeTests
{
    [Fact]
    public async Task Entity_written_is_read_back_and_a_stale_etag_update_gets_412()
    {
        var service = new TableServiceClient(TestServices.AzuriteTablesConnectionString);
        var table = service.GetTableClient("smoke" + Guid.NewGuid().ToString("N")[..12]);
        await table.CreateIfNotExistsAsync();
        try
        {
            await table.AddEntityAsync(new TableEntity("cluster1", "node1") { ["Model"] = "NVIDIA A2", ["PartitionCount"] = 4 });

            var first = (await table.GetEntityAsync<TableEntity>("cluster1", "node1")).Value;
            var second = (await table.GetEntityAsync<TableEntity>("cluster1", "node1")).Value;
            Assert.Equal("NVIDIA A2", first.GetString("Model"));
            Assert.Equal(4, first.GetInt32("PartitionCount"));

            first["PartitionCount"] = 8;
            await table.UpdateEntityAsync(first, first.ETag, TableUpdateMode.Replace);

            second["PartitionCount"] = 16;
            var conflict = await Assert.ThrowsAsync<RequestFailedException>(
                () => table.UpdateEntityAsync(second, second.ETag, TableUpdateMode.Replace));
            Assert.Equal(412, conflict.Status);

            var stored = (await table.GetEntityAsync<TableEntity>("cluster1", "node1")).Value;
            Assert.Equal(8, stored.GetInt32("PartitionCount"));
        }
        finally
        {
            await table.DeleteAsync();
        }
    }
}
