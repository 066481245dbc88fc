using GpuAutomation.ControlPlane;
using Azure.Data.Tables;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.ControlPlane.Tests.Composition;

public sealed class ControlPlaneCoreRegistrationTests
{
    private static readonly Dictionary<string, string?> DevelopmentTrust = new() { ["GpuAutomation:ReportAuthentication:DevelopmentTrust"] = "true" };

    private static ServiceProvider Build(Dictionary<string, string?> settings, RecordingPublisher bus)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<GpuAutomation.Messaging.IMessageBus>(bus);
        services.AddControlPlaneCore(new ConfigurationBuilder().AddInMemoryCollection(ControlPlaneHarness.RegisteredNodes).AddInMemoryCollection(DevelopmentTrust).AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task A_tables_connection_string_stores_everything_in_that_account_under_the_table_prefix()
    {
        var prefix = "reg" + Guid.NewGuid().ToString("N")[..10];
        var bus = new RecordingPublisher();
        using var provider = Build(
            new()
            {
                ["GpuAutomation:Tables:ConnectionString"] = TestServices.AzuriteTablesConnectionString,
                ["GpuAutomation:ControlPlane:TablePrefix"] = prefix,
                ["GpuAutomation:ControlPlane:RequestTimeout"] = "00:05:00",
                ["GpuAutomation:ControlPlane:CommandTimeToLive"] = "00:04:00",
            },
            bus);
        Assert.IsType<TableStorageRecordTableSource>(provider.GetRequiredService<IRecordTableSource>());

        var node = Sample.Node("node1", DateTimeOffset.UtcNow);
        await provider.GetRequiredService<ReportIntake>().HandleAsync(Message.Create(new InventorySnapshot(node), "s1", Sample.Cluster, "node1", node.TakenAt), default);
        var outcome = await provider.GetRequiredService<PartitionRequestService>().SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, "node1-vm0"), default);
        Assert.Equal(RequestStatus.Accepted, outcome.Request.Status);
        Assert.Equal(1, await provider.GetRequiredService<DispatchQueue>().DispatchWaitingAsync(default));

        Assert.Equal(RequestStatus.Dispatched, (await provider.GetRequiredService<PartitionRequestService>().GetAsync(outcome.Request.Id, default))!.Status);
        Assert.Equal(32, outcome.Request.Id.Length);
        var raw = new TableServiceClient(TestServices.AzuriteTablesConnectionString).GetTableClient(prefix + RequestStore.TableName);
        var rows = raw.QueryAsync<TableEntity>(maxPerPage: 100);
        var keys = new List<string>();
        await foreach (var row in rows)
        {
            keys.Add($"{row.PartitionKey}/{row.RowKey}");
        }

        Assert.Equal(["clus1.node1/ledger", $"clus1.node1/r-{outcome.Request.Id}"], keys);
        Assert.Single(bus.Published);
    }

    [Fact]
    public void Without_table_settings_the_stores_are_in_memory()
    {
        using var provider = Build([], new RecordingPublisher());
        Assert.IsType<InMemoryRecordTableSource>(provider.GetRequiredService<IRecordTableSource>());
        Assert.IsType<TimeOrderedIdSource>(provider.GetRequiredService<IIdSource>());
    }

    [Fact]
    public void Invalid_options_are_refused_when_first_used_with_every_problem_named()
    {
        using var provider = Build(
            new()
            {
                ["GpuAutomation:ControlPlane:RequestTimeout"] = "00:05:00",
                ["GpuAutomation:ControlPlane:MaxRowsPerRun"] = "0",
                ["GpuAutomation:ControlPlane:TablePrefix"] = "gpu-automation",
            },
            new RecordingPublisher());

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => provider.GetRequiredService<PartitionRequestService>());

        Assert.Equal(3, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("CommandTimeToLive", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("MaxRowsPerRun", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("TablePrefix", StringComparison.Ordinal));
    }
}
