using GpuAutomation.ControlPlane.Rejections;
using GpuAutomation.Functions.Hosting;

namespace GpuAutomation.Functions.Tests;

/// <summary>What every <see cref="IRejectedMessageLog"/> must do; run against each adapter.</summary>
public abstract class RejectedMessageLogContract
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    protected abstract Task<IRejectedMessageLog> CreateAsync();

    [Fact]
    public async Task A_recorded_rejection_reads_back_with_every_field()
    {
        var log = await CreateAsync();
        var rejected = new RejectedMessage("HostReports", "m-1", "malformed-json", "The message is not valid JSON: 'o' is invalid.", At.AddTicks(1234567), "{oops");

        await log.RecordAsync(rejected, default);

        Assert.Equal([rejected], await log.RecentAsync(10, default));
    }

    [Fact]
    public async Task Recent_rejections_come_newest_first_up_to_the_limit()
    {
        var log = await CreateAsync();
        for (var i = 0; i < 5; i++)
        {
            await log.RecordAsync(new RejectedMessage("HostReports", $"m-{i}", "unknown-message-type", "Unknown", At.AddMinutes(i), "{}"), default);
        }

        var recent = await log.RecentAsync(3, default);

        Assert.Equal(["m-4", "m-3", "m-2"], recent.Select(r => r.MessageId));
        Assert.Empty(await log.RecentAsync(0, default));
    }

    [Fact]
    public async Task A_rejection_without_a_message_id_is_kept()
    {
        var log = await CreateAsync();

        await log.RecordAsync(new RejectedMessage("/local/eventgrid", null, "malformed-event", "The event has no id.", At, "{}"), default);

        Assert.Null(Assert.Single(await log.RecentAsync(10, default)).MessageId);
    }
}

public sealed class InMemoryRejectedMessageLogTests : RejectedMessageLogContract
{
    protected override Task<IRejectedMessageLog> CreateAsync() => Task.FromResult<IRejectedMessageLog>(new InMemoryRejectedMessageLog());
}

public sealed class TableRejectedMessageLogTests : RejectedMessageLogContract
{
    protected override Task<IRejectedMessageLog> CreateAsync()
    {
        // A table per test keeps tests independent on the shared Azurite.
        var table = new Azure.Data.Tables.TableClient(GpuAutomation.Testing.TestServices.AzuriteTablesConnectionString, "Rejected" + Guid.NewGuid().ToString("N")[..12]);
        return Task.FromResult<IRejectedMessageLog>(new TableRejectedMessageLog(table));
    }
}
