using GpuAutomation.Functions.Api;
using System.Globalization;
using GpuAutomation.Sandbox.Scenario;
using Spectre.Console;

namespace GpuAutomation.Sandbox.Presentation;

/// <summary>Shows the scenario as it plays (a live progress display on a terminal, one line per step otherwise) and its result tables.</summary>
public sealed class ScenarioConsole(IAnsiConsole console)
{
    public async Task<ScenarioReport> PlayAsync(Func<IScenarioProgress, Task<ScenarioReport>> play)
    {
        ArgumentNullException.ThrowIfNull(play);
        if (!console.Profile.Capabilities.Interactive)
        {
            return await play(new LineProgress(console));
        }

        ScenarioReport? report = null;
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new SpinnerColumn(), new ElapsedTimeColumn())
            .StartAsync(async context => report = await play(new LiveProgress(context)));
        return report!;
    }

    public void ShowReport(ScenarioReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var steps = new Table().Title("[bold]Scenario[/]").Border(TableBorder.Rounded)
            .AddColumn("#").AddColumn("Step").AddColumn("Result").AddColumn(new TableColumn("Time").RightAligned()).AddColumn("What was seen");
        for (var i = 0; i < report.Steps.Count; i++)
        {
            var s = report.Steps[i];
            steps.AddRow(
                (i + 1).ToString(CultureInfo.InvariantCulture),
                Markup.Escape(s.Title),
                s.Passed ? "[green]as expected[/]" : "[red]FAILED[/]",
                s.Elapsed.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture),
                Markup.Escape(s.Detail));
        }

        console.Write(steps);

        var requests = report.Steps.SelectMany(s => s.Requests).ToList();
        if (requests.Count > 0)
        {
            var table = new Table().Title("[bold]Partition requests[/]").Border(TableBorder.Rounded)
                .AddColumn("Id").AddColumn("Action").AddColumn("VM").AddColumn("Node").AddColumn("Origin").AddColumn("Status").AddColumn("Reason");
            foreach (var r in requests)
            {
                table.AddRow(
                    Markup.Escape(r.Id),
                    Markup.Escape(r.Action ?? string.Empty),
                    Markup.Escape(r.Vm ?? string.Empty),
                    Markup.Escape(r.Node ?? string.Empty),
                    Markup.Escape(r.Origin ?? string.Empty),
                    r.Is("Succeeded") ? "[green]Succeeded[/]" : $"[yellow]{Markup.Escape(r.Status)}[/]",
                    Markup.Escape(r.ErrorCode is null ? string.Empty : $"{r.ErrorCode}: {r.ErrorMessage}"));
            }

            console.Write(table);
        }

        if (report.RolloutPlan is { } plan)
        {
            console.Write(PlanTable(plan));
        }

        if (report.FinalInventory is { } inventory)
        {
            var gpus = new Table().Title("[bold]GPUs (as the hosts report them)[/]").Border(TableBorder.Rounded)
                .AddColumn("Node").AddColumn("Model").AddColumn(new TableColumn("Partitions").RightAligned()).AddColumn(new TableColumn("Assigned").RightAligned());
            foreach (var g in inventory.Gpus)
            {
                gpus.AddRow(Markup.Escape(g.Node), Markup.Escape(g.Model), g.PartitionCount.ToString(CultureInfo.InvariantCulture), g.AssignedPartitions.ToString(CultureInfo.InvariantCulture));
            }

            var vms = new Table().Title("[bold]VMs[/]").Border(TableBorder.Rounded)
                .AddColumn("VM").AddColumn("Node").AddColumn("Power").AddColumn(new TableColumn("Partitions").RightAligned()).AddColumn("OfflineAction");
            foreach (var v in inventory.Vms)
            {
                vms.AddRow(
                    Markup.Escape(v.Name),
                    Markup.Escape(v.Node),
                    v.PowerState?.ToString() ?? "?",
                    v.Partitions.ToString(CultureInfo.InvariantCulture),
                    v.OfflineAction?.ToString() ?? "(not clustered)");
            }

            console.Write(gpus);
            console.Write(vms);
        }

        var passed = report.Steps.Count(s => s.Passed);
        console.MarkupLine(report.Passed
            ? $"[green bold]Scenario passed[/]: {passed} of {report.Steps.Count} steps as expected."
            : $"[red bold]Scenario failed[/]: {passed} of {report.Steps.Count} steps as expected; see the first FAILED step.");
    }

    /// <summary>A rollout plan as an operator reads it: per stage, each VM's step, its estimated downtime, and N+1 while the stage runs.</summary>
    private static Table PlanTable(RolloutPlanView plan)
    {
        var table = new Table().Title($"[bold]Rollout plan {Markup.Escape(plan.Id)}: {plan.PartitionCount} partitions, moves {Markup.Escape(plan.Moves)}[/]").Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("Stage").RightAligned()).AddColumn("Nodes").AddColumn("VM").AddColumn("Step").AddColumn("To")
            .AddColumn(new TableColumn("Downtime (est.)").RightAligned()).AddColumn("N+1 during").AddColumn("N+1 after");
        foreach (var stage in plan.Stages)
        {
            var during = stage.During.SurvivesAnyNodeLoss ? "[green]yes[/]" : $"[yellow]no, {stage.During.Short} short[/]";
            var after = stage.After.SurvivesAnyNodeLoss ? "[green]yes[/]" : $"[yellow]no, {stage.After.Short} short[/]";
            var nodes = Markup.Escape(string.Join(", ", stage.Nodes));
            var number = stage.Number.ToString(CultureInfo.InvariantCulture);
            if (stage.Steps.Count == 0)
            {
                table.AddRow(number, nodes, "-", "count change only", "-", "0 s", during, after);
            }

            foreach (var step in stage.Steps)
            {
                table.AddRow(number, nodes, Markup.Escape(step.Vm), Markup.Escape(step.Kind), Markup.Escape(step.ToNode ?? "-"), step.DowntimeSeconds.ToString("0 s", CultureInfo.InvariantCulture), during, after);
            }
        }

        return table;
    }

    private sealed class LiveProgress(ProgressContext context) : IScenarioProgress
    {
        private ProgressTask? _current;
        private string _title = string.Empty;

        public void StepStarted(int index, int count, string title)
        {
            this._title = $"[[{index + 1}/{count}]] {Markup.Escape(title)}";
            _current = context.AddTask(this._title, maxValue: 1);
            _current.IsIndeterminate = true;
        }

        public void StepActivity(string activity)
        {
            _current?.Description = $"{_title} [grey]— {Markup.Escape(activity)}[/]";
        }

        public void StepFinished(ScenarioStep result)
        {
            if (_current is null)
            {
                return;
            }

            _current.Description = result.Passed ? $"[green]✔[/] {_title}" : $"[red]✘[/] {_title} [red]{Markup.Escape(result.Detail)}[/]";
            _current.IsIndeterminate = false;
            _current.Value = 1;
            _current.StopTask();
        }
    }

    private sealed class LineProgress(IAnsiConsole console) : IScenarioProgress
    {
        public void StepStarted(int index, int count, string title)
            => console.MarkupLine($"[[{index + 1}/{count}]] {Markup.Escape(title)} …");

        public void StepActivity(string activity)
            => console.MarkupLine($"      [grey]{Markup.Escape(activity)}[/]");

        public void StepFinished(ScenarioStep result)
            => console.MarkupLine(result.Passed
                ? $"      [green]✔ as expected[/] ({result.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)"
                : $"      [red]✘ {Markup.Escape(result.Detail)}[/]");
    }
}
