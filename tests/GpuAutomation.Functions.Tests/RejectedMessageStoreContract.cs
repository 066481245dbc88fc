using Azure.Data.Tables;
using GpuAutomation.ControlPlane.Rejections;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.Testing;

namespace GpuAutomation.Functions.Tests;

/// <summary>What <see cref="RejectedMessageStore"/> must do over every table source the app can run on.</summary>
public abstract class RejectedMessageStoreContract
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    protected abstract IRecordTableSource CreateTables();

    [Fact]
    public async Task A_recorded_rejection_reads_back_with_every_field()
    {
        var store = new RejectedMessageStore(CreateTables());
        var rejected = new RejectedMessage("HostReports", "m-1", "malformed-json", "The message is not valid JSON: 'o' is invalid.", At.AddTicks(1234567), "{oops");

        await store.RecordAsync(rejected, default);

        Assert.Equal([rejected], await store.RecentAsync(10, default));
    }

    [Fact]
    public async Task Recent_rejections_come_newest_first_up_to_the_limit()
    {
        var store = new RejectedMessageStore(CreateTables());
        for (var i = 0; i < 5; i++)
        {
            await store.RecordAsync(new RejectedMessage("HostReports", $"m-{i}", "unknown-message-type", "Unknown", At.AddMinutes(i), "{}"), default);
        }

        var recent = await store.RecentAsync(3, default);

        Assert.Equal(["m-4", "m-3", "m-2"], recent.Select(r => r.MessageId));
        Assert.Empty(await store.RecentAsync(0, default));
    }

    [Fact]
    public async Task A_rejection_without_a_message_id_is_kept()
    {
        var store = new RejectedMessageStore(CreateTables());

        await store.RecordAsync(new RejectedMessage("/local/eventgrid", null, "malformed-event", "The event has no id.", At, "{}"), default);

        Assert.Null(Assert.Single(await store.RecentAsync(10, default)).MessageId);
    }

    [Fact]
    public async Task Rejections_recorded_in_the_same_instant_are_all_kept()
    {
        var store = new RejectedMessageStore(CreateTables());

        await store.RecordAsync(new RejectedMessage("HostReports", "m-1", "malformed-json", "Not JSON.", At, "{"), default);
        await store.RecordAsync(new RejectedMessage("HostReports", "m-2", "malformed-json", "Not JSON.", At, "["), default);

        Assert.Equal(["m-1", "m-2"], (await store.RecentAsync(10, default)).Select(r => r.MessageId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_reason_longer_than_a_table_property_allows_is_cut_not_refused()
    {
        var store = new RejectedMessageStore(CreateTables());
        var reason = new string('r', 40_000);

        await store.RecordAsync(new RejectedMessage("HostReports", "m-1", "malformed-json", reason, At, "{"), default);

        var kept = Assert.Single(await store.RecentAsync(10, default)).Reason;
        Assert.True(kept.Length is > 0 and < 32 * 1024, $"The reason kept is {kept.Length} characters.");
        Assert.StartsWith(kept, reason, StringComparison.Ordinal);
    }
}

public sealed class InMemoryRejectedMessageStoreTests : RejectedMessageStoreContract
{
    protected override IRecordTableSource CreateTables() => new InMemoryRecordTableSource();
}

public sealed class TableStorageRejectedMessageStoreTests : RejectedMessageStoreContract
{
    // Tables of their own (a random prefix) keep tests independent on the shared Azurite.
    protected override IRecordTableSource CreateTables()
        => new TableStorageRecordTableSource(new TableServiceClient(TestServices.AzuriteTablesConnectionString), "t" + Guid.NewGuid().ToString("N")[..12]);
}
