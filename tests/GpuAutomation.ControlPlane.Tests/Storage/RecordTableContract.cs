using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Storage;

namespace GpuAutomation.ControlPlane.Tests.Storage;

/// <summary>What the stores rely on from a table; run against the in-memory table and against Azurite.</summary>
public abstract class RecordTableContract
{
    private protected abstract IRecordTableSource CreateTables();

    private IRecordTable Table() => CreateTables().Open("contract");

    private static TableRow Row(string pk, string rk, string value = "v", string? etag = null)
        => new(pk, rk, new Dictionary<string, object?> { ["Value"] = value, ["Count"] = 3L, ["At"] = Sample.Start, ["Blob"] = new byte[] { 1, 2, 3 } }, etag);

    [Fact]
    public async Task Inserted_row_reads_back_with_its_properties_and_an_etag()
    {
        var table = Table();
        var etags = await table.SubmitAsync([RowChange.Insert(Row("p1", "r1"))], default);

        var row = await table.GetAsync("p1", "r1", default);
        Assert.NotNull(row);
        Assert.Equal("v", row.GetString("Value"));
        Assert.Equal(3L, row.GetInt64("Count"));
        Assert.Equal(Sample.Start, row.GetTime("At"));
        Assert.Equal([1, 2, 3], row.GetBytes("Blob"));
        Assert.Equal(etags[0], row.ETag);
        Assert.Null(await table.GetAsync("p1", "missing", default));
    }

    [Fact]
    public async Task Insert_of_an_existing_row_fails_with_row_exists()
    {
        var table = Table();
        await table.SubmitAsync([RowChange.Insert(Row("p1", "r1"))], default);
        var ex = await Assert.ThrowsAsync<StoreException>(() => table.SubmitAsync([RowChange.Insert(Row("p1", "r1", "other"))], default));
        Assert.Equal(StoreErrors.RowExists, ex.Code);
        Assert.Equal("v", (await table.GetAsync("p1", "r1", default))!.GetString("Value"));
    }

    [Fact]
    public async Task Replace_with_a_stale_etag_fails_and_keeps_the_newer_row()
    {
        var table = Table();
        await table.SubmitAsync([RowChange.Insert(Row("p1", "r1"))], default);
        var first = (await table.GetAsync("p1", "r1", default))!;
        var second = (await table.GetAsync("p1", "r1", default))!;

        await table.SubmitAsync([RowChange.Write(Row("p1", "r1", "first", first.ETag))], default);
        var ex = await Assert.ThrowsAsync<StoreException>(() => table.SubmitAsync([RowChange.Write(Row("p1", "r1", "second", second.ETag))], default));

        Assert.Equal(StoreErrors.ETagMismatch, ex.Code);
        Assert.True(ex.IsConflict);
        Assert.Equal("first", (await table.GetAsync("p1", "r1", default))!.GetString("Value"));
    }

    [Fact]
    public async Task Delete_of_a_missing_row_fails_with_row_missing()
    {
        var ex = await Assert.ThrowsAsync<StoreException>(() => Table().SubmitAsync([RowChange.Delete("p1", "nothing")], default));
        Assert.Equal(StoreErrors.RowMissing, ex.Code);
    }

    [Fact]
    public async Task Delete_with_a_stale_etag_fails_and_keeps_the_row()
    {
        var table = Table();
        var inserted = await table.SubmitAsync([RowChange.Insert(Row("p1", "r1"))], default);
        await table.SubmitAsync([RowChange.Write(Row("p1", "r1", "newer", inserted[0]))], default);

        var ex = await Assert.ThrowsAsync<StoreException>(() => table.SubmitAsync([RowChange.Delete("p1", "r1", inserted[0])], default));

        Assert.Equal(StoreErrors.ETagMismatch, ex.Code);
        Assert.Equal("newer", (await table.GetAsync("p1", "r1", default))!.GetString("Value"));
    }

    [Fact]
    public async Task Every_write_answers_the_etag_that_reads_and_projections_then_show()
    {
        var table = Table();
        var upserted = await table.SubmitAsync([RowChange.Upsert(Row("p1", "r1"))], default);
        var replaced = await table.SubmitAsync([RowChange.Write(Row("p1", "r1", "again", upserted[0]))], default);
        await table.SubmitAsync([RowChange.Insert(Row("p1", "r2"))], default);
        var batch = await table.SubmitAsync([RowChange.Write(Row("p1", "r1", "third", replaced[0])), RowChange.Delete("p1", "r2"), RowChange.Insert(Row("p1", "r3"))], default);

        Assert.NotEqual(upserted[0], replaced[0]);
        Assert.Null(batch[1]);
        Assert.Equal(batch[2], (await table.GetAsync("p1", "r3", default))!.ETag);
        var projected = Assert.Single((await table.QueryAsync(new RowQuery(PartitionKey: "p1", RowKeyPrefix: "r1", Select: ["Count"]), default)).Rows);
        Assert.Equal(batch[0], projected.ETag);
        Assert.Equal(batch[0], (await table.GetAsync("p1", "r1", default))!.ETag);
        Assert.Null(projected.GetString("Value"));
    }

    [Fact]
    public async Task A_batch_with_one_failing_change_applies_none()
    {
        var table = Table();
        await table.SubmitAsync([RowChange.Insert(Row("p1", "exists"))], default);

        await Assert.ThrowsAsync<StoreException>(() => table.SubmitAsync(
            [RowChange.Insert(Row("p1", "new")), RowChange.Upsert(Row("p1", "other")), RowChange.Insert(Row("p1", "exists"))], default));

        Assert.Null(await table.GetAsync("p1", "new", default));
        Assert.Null(await table.GetAsync("p1", "other", default));
    }

    [Fact]
    public async Task A_batch_spanning_two_partitions_is_refused_before_it_is_sent()
    {
        var table = Table();
        await Assert.ThrowsAsync<ArgumentException>(() => table.SubmitAsync([RowChange.Insert(Row("p1", "a")), RowChange.Insert(Row("p2", "b"))], default));
        Assert.Null(await table.GetAsync("p1", "a", default));
    }

    [Fact]
    public async Task Paged_query_with_prefixes_and_filters_returns_each_match_once_in_key_order()
    {
        var table = Table();
        foreach (var pk in new[] { "c1.n1", "c1.n2", "c2.n1" })
        {
            var changes = Enumerable.Range(0, 7)
                .Select(i => RowChange.Insert(Row(pk, $"r-{i:D2}", i % 2 == 0 ? "even" : "odd")))
                .Append(RowChange.Insert(Row(pk, "ledger")))
                .ToList();
            await table.SubmitAsync(changes, default);
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await table.QueryAsync(
                new RowQuery(PartitionKeyPrefix: "c1.", RowKeyPrefix: "r-", Filters: [new RowFilter("Value", RowFilterOperator.Equal, "even")], PageSize: 3, ContinuationToken: token),
                default);
            Assert.True(page.Rows.Count <= 3);
            seen.AddRange(page.Rows.Select(r => $"{r.PartitionKey}/{r.RowKey}"));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null && pages < 20);

        string[] expected = [.. new[] { "c1.n1", "c1.n2" }.SelectMany(pk => new[] { 0, 2, 4, 6 }.Select(i => $"{pk}/r-{i:D2}"))];
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task Query_filters_on_time_and_projects_selected_columns()
    {
        var table = Table();
        var early = Row("p1", "early") with { Properties = new Dictionary<string, object?> { ["At"] = Sample.Start, ["Value"] = "a" } };
        var late = Row("p1", "late") with { Properties = new Dictionary<string, object?> { ["At"] = Sample.Start.AddHours(1), ["Value"] = "b" } };
        await table.SubmitAsync([RowChange.Insert(early), RowChange.Insert(late)], default);

        var page = await table.QueryAsync(
            new RowQuery(Filters: [new RowFilter("At", RowFilterOperator.LessThan, Sample.Start.AddMinutes(30))], Select: ["Value"]),
            default);

        var row = Assert.Single(page.Rows);
        Assert.Equal("early", row.RowKey);
        Assert.Equal("a", row.GetString("Value"));
        Assert.Null(row.GetTime("At"));
    }
}

public sealed class InMemoryRecordTableTests : RecordTableContract
{
    private protected override IRecordTableSource CreateTables() => Backends.InMemory();
}

public sealed class TableStorageRecordTableTests : RecordTableContract
{
    private protected override IRecordTableSource CreateTables() => Backends.Azurite();
}
