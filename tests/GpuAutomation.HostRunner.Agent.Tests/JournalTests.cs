using System.Text;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Journal;

namespace GpuAutomation.HostRunner.Agent.Tests;

public sealed class JournalTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "journal-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Steps_and_results_survive_reopening_and_unfinished_commands_are_listed()
    {
        var at = DateTimeOffset.UtcNow;
        using (var journal = CommandJournal.Open(_folder))
        {
            var done = journal.Receive(Command("c1"));
            journal.RecordStep(done, new StepRecord("resolve-vm", StepOutcome.Succeeded, at, at), "memo-1");
            journal.Complete(done, new CommandResult("c1", MessageTypes.CollectInventory, CommandOutcome.Succeeded, done.Steps, null, null, at, at));
            journal.MarkReported(done);
            var open = journal.Receive(Command("c2"));
            journal.RecordStep(open, new StepRecord("record-power-state", StepOutcome.Succeeded, at, at), "Running");
        }

        using var reopened = CommandJournal.Open(_folder);

        Assert.Equal(CommandOutcome.Succeeded, reopened.Find("c1")!.Result!.Outcome);
        Assert.True(reopened.Find("c1")!.Reported);
        var unfinished = Assert.Single(reopened.Unfinished());
        Assert.Equal("c2", unfinished.CommandId);
        Assert.Equal("Running", unfinished.FinishedStep("record-power-state")!.Value.Memo);
    }

    [Fact]
    public void A_torn_last_line_is_dropped_and_the_rest_kept()
    {
        using (var journal = CommandJournal.Open(_folder))
        {
            journal.Receive(Command("c1"));
        }

        File.AppendAllText(Path.Combine(_folder, CommandJournal.FileName), "{\"kind\":\"Step\",\"commandId\":\"c1\",\"at\":\"20", Encoding.UTF8);

        using var reopened = CommandJournal.Open(_folder);

        Assert.Empty(reopened.Find("c1")!.Steps);
        Assert.DoesNotContain("\"at\":\"20\n", File.ReadAllText(reopened.Path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_line_before_the_last_is_refused_with_its_line_number()
    {
        using (var journal = CommandJournal.Open(_folder))
        {
            journal.Receive(Command("c1"));
        }

        var path = Path.Combine(_folder, CommandJournal.FileName);
        File.WriteAllText(path, "not json\n" + File.ReadAllText(path));

        var e = Assert.Throws<JournalException>(() => CommandJournal.Open(_folder));
        Assert.Equal(JournalErrors.Corrupt, e.Code);
        Assert.Contains("Line 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_agent_on_the_same_folder_is_refused()
    {
        using var journal = CommandJournal.Open(_folder);

        var e = Assert.Throws<JournalException>(() => CommandJournal.Open(_folder));

        Assert.Equal(JournalErrors.InUse, e.Code);
    }

    [Fact]
    public void Receiving_a_known_id_writes_nothing_and_returns_the_record()
    {
        using var journal = CommandJournal.Open(_folder);
        var first = journal.Receive(Command("c1"));
        var length = new FileInfo(journal.Path).Length;

        var second = journal.Receive(Command("c1"));

        Assert.Same(first, second);
        Assert.Equal(length, new FileInfo(journal.Path).Length);
    }

    [Fact]
    public void Compaction_keeps_unreported_results_whole_and_drops_the_stale_inventory_of_reported_ones()
    {
        var at = DateTimeOffset.UtcNow;
        var inventory = new NodeInventory("node1", at, new Contracts.Inventory.HostFacts("26100", true, true), [], []);
        using (var journal = CommandJournal.Open(_folder))
        {
            foreach (var id in new[] { "reported", "unreported" })
            {
                var command = journal.Receive(Command(id));
                journal.Complete(command, new CommandResult(id, MessageTypes.AssignPartition, CommandOutcome.Succeeded, [], null, inventory, at, at));
            }

            journal.MarkReported(journal.Find("reported")!);
        }

        using var reopened = CommandJournal.Open(_folder);

        Assert.Null(reopened.Find("reported")!.Result!.InventoryAfter);
        Assert.Equal(inventory.TakenAt, reopened.Find("unreported")!.Result!.InventoryAfter!.TakenAt);
        Assert.Equal("unreported", Assert.Single(reopened.Unreported()).CommandId);
    }

    private static Message Command(string id)
        => Message.Create(new AssignPartition("web"), id, "cluster1", "node1", DateTimeOffset.UtcNow, "request-" + id);
}
