using System.Globalization;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Rollout;

/// <summary>
/// Applies a plan stage by stage as ordinary partition requests, one phase at a time (vacate, change count, give
/// back), and advances it whenever called: by the apply itself, by resume, and by the outbox timer for every running
/// rollout. Each call is an idempotent reconcile in KubeOps' manner: it reads the run and the requests of its current
/// phase and does the next thing, and every submission carries an idempotency key made of the plan, stage, phase,
/// target and attempt, so two instances advancing the same run at once submit each request once (the loser's run
/// write fails on the ETag and it stops). A refusal that depends on state (the node still busy, capacity not yet
/// reported back after a count change) is submitted again on the next call, up to <see cref="MaxAttempts"/>; any
/// other failure stops the rollout as Failed, saying which step failed and what is left to do.
/// </summary>
public sealed partial class RolloutRunner(
    RolloutStore store,
    InventoryStore inventory,
    PartitionRequestService requests,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<RolloutRunner> logger)
{
    public const int MaxAttempts = 20;

    /// <summary>Starts <paramref name="planId"/>; applying a plan already applied answers its run.</summary>
    /// <exception cref="ControlPlaneException">unknown-plan, plan-blocked, moves-not-built, plan-outdated, inventory-stale.</exception>
    public async Task<RolloutRun> ApplyAsync(string cluster, string planId, string startedBy, CancellationToken cancellationToken)
    {
        var plan = await RequirePlanAsync(cluster, planId, cancellationToken);
        if (await store.GetRunAsync(plan.Cluster, plan.Id, cancellationToken) is { } existing)
        {
            return existing.Run;
        }

        if (!plan.CanApply)
        {
            throw new ControlPlaneException(RolloutCodes.PlanBlocked, $"Plan {plan.Id} can't be applied: {string.Join(" ", plan.Blockers.Select(b => b.Message))}", isRetryable: false);
        }

        if (plan.Stages.SelectMany(s => s.Steps).FirstOrDefault(s => s.Kind is VmStepKind.LiveMigrate or VmStepKind.Move or VmStepKind.StopAndMoveAfter) is { } move)
        {
            throw new ControlPlaneException(RolloutCodes.MovesNotBuilt, $"Plan {plan.Id} moves VMs between nodes (VM '{move.VmName}' {move.FromNode} → {move.ToNode}); applying moves isn't built yet. Plan again with moves: never.", isRetryable: false);
        }

        var now = time.GetUtcNow();
        var current = await inventory.GetClusterAsync(plan.Cluster, cancellationToken);
        if (Outdated(plan, current) is { Count: > 0 } changed)
        {
            throw new ControlPlaneException(RolloutCodes.PlanOutdated, $"The inventory of {string.Join(", ", changed)} changed since plan {plan.Id} was made ({plan.PlannedAt:O}); plan again.", isRetryable: false);
        }

        if (Stale(current, now) is { } stale)
        {
            throw new ControlPlaneException(RequestCodes.InventoryStale, stale, isRetryable: true);
        }

        var run = new RolloutRun(plan.Id, plan.Cluster, RolloutStatus.Running, 0, RolloutPhase.Vacate, [], [], now, now, startedBy, null);
        StoredRun stored;
        try
        {
            stored = await store.SaveRunAsync(run, null, cancellationToken);
        }
        catch (StoreException ex) when (ex.IsConflict)
        {
            return (await store.GetRunAsync(plan.Cluster, plan.Id, cancellationToken))!.Run;
        }

        LogApplied(logger, plan.Id, plan.Cluster, plan.Request.PartitionCount, plan.Stages.Count, startedBy);
        return await ReconcileAsync(plan, stored, cancellationToken);
    }

    public Task<RolloutRun> PauseAsync(string cluster, string planId, CancellationToken cancellationToken)
        => ChangeStatusAsync(cluster, planId, RolloutStatus.Running, RolloutStatus.Paused, null, cancellationToken);

    public async Task<RolloutRun> ResumeAsync(string cluster, string planId, CancellationToken cancellationToken)
    {
        await ChangeStatusAsync(cluster, planId, RolloutStatus.Paused, RolloutStatus.Running, null, cancellationToken);
        return await ReconcileAsync(cluster, planId, cancellationToken) ?? throw new InvalidOperationException("A resumed run vanished.");
    }

    /// <summary>Stops submitting: requests already sent finish on their own, and the run says what is left to do.</summary>
    public async Task<RolloutRun> CancelAsync(string cluster, string planId, string cancelledBy, CancellationToken cancellationToken)
    {
        var plan = await RequirePlanAsync(cluster, planId, cancellationToken);
        return await ChangeStatusAsync(cluster, planId, null, RolloutStatus.Cancelled, run => new RequestNotice(RolloutCodes.RolloutCancelled, $"Cancelled by {cancelledBy} in {Where(plan, run)}. Left to do: {LeftToDo(plan, run)}"), cancellationToken);
    }

    public Task<RolloutPlan?> GetPlanAsync(string cluster, string planId, CancellationToken cancellationToken)
        => store.GetAsync(cluster, planId, cancellationToken);

    public async Task<RolloutRun?> GetRunAsync(string cluster, string planId, CancellationToken cancellationToken)
        => (await store.GetRunAsync(cluster, planId, cancellationToken))?.Run;

    /// <summary>Advances every running rollout by one reconcile; returns how many were looked at.</summary>
    public async Task<int> AdvanceAllAsync(CancellationToken cancellationToken)
    {
        var running = await store.ListRunningAsync(options.Value.MaxRowsPerRun, cancellationToken);
        foreach (var (cluster, planId) in running)
        {
            await ReconcileAsync(cluster, planId, cancellationToken);
        }

        return running.Count;
    }

    public async Task<RolloutRun?> ReconcileAsync(string cluster, string planId, CancellationToken cancellationToken)
    {
        var plan = await store.GetAsync(cluster, planId, cancellationToken);
        var stored = plan is null ? null : await store.GetRunAsync(plan.Cluster, plan.Id, cancellationToken);
        return stored is null ? null : await ReconcileAsync(plan!, stored, cancellationToken);
    }

    private async Task<RolloutRun> ReconcileAsync(RolloutPlan plan, StoredRun stored, CancellationToken cancellationToken)
    {
        var run = stored.Run;
        try
        {
            // Phases with nothing to do pass at once; anything submitted or waited on ends this call.
            for (var guard = 0; guard < (plan.Stages.Count * 3) + 2 && run.Status == RolloutStatus.Running; guard++)
            {
                var now = time.GetUtcNow();
                if (run.Stage >= plan.Stages.Count)
                {
                    run = run with { Status = RolloutStatus.Succeeded, UpdatedAt = now, Note = null };
                    stored = await store.SaveRunAsync(run, stored.ETag, cancellationToken);
                    LogFinished(logger, plan.Id, plan.Cluster, run.Status);
                    return run;
                }

                if (run.Current.Count == 0)
                {
                    var desired = Desired(plan, run);
                    if (desired.Count == 0)
                    {
                        run = Advance(run, now);
                        continue;
                    }

                    if (run.Phase == RolloutPhase.Vacate && Stale(await inventory.GetClusterAsync(plan.Cluster, cancellationToken), now) is { } stale)
                    {
                        // Nothing starts on a node that may be unreachable; the next call looks again.
                        var waiting = new RequestNotice(RequestCodes.InventoryStale, $"Waiting before {Where(plan, run)}: {stale}");
                        if (run.Note != waiting)
                        {
                            stored = await store.SaveRunAsync(run with { Note = waiting, UpdatedAt = now }, stored.ETag, cancellationToken);
                        }

                        return stored.Run;
                    }

                    var submitted = new List<RolloutStepRun>();
                    foreach (var (target, submission) in desired)
                    {
                        submitted.Add(new RolloutStepRun(target, await SubmitAsync(plan, run, target, submission, 1, cancellationToken), 1));
                    }

                    run = run with { Current = submitted, Requests = [.. run.Requests, .. submitted.Select(s => s.RequestId)], Note = null, UpdatedAt = now };
                    stored = await store.SaveRunAsync(run, stored.ETag, cancellationToken);
                    return run;
                }

                var results = new List<(RolloutStepRun Step, PartitionRequest? Request)>();
                foreach (var step in run.Current)
                {
                    results.Add((step, await requests.GetAsync(step.RequestId, cancellationToken)));
                }

                if (results.Any(r => r.Request is null || !r.Request.IsTerminal))
                {
                    return run;
                }

                var failed = results.Where(r => r.Request!.Status != RequestStatus.Succeeded).ToList();
                if (failed.FirstOrDefault(f => !Retryable(f.Request!, f.Step)) is { Request: { } hard })
                {
                    var error = hard.Error ?? new RequestNotice(RequestCodes.TimedOut, $"Request {hard.Id} ended {hard.Status}.");
                    run = run with
                    {
                        Status = RolloutStatus.Failed,
                        UpdatedAt = now,
                        Note = new RequestNotice(error.Code, $"Request {hard.Id} ({hard.Action} {hard.VmName ?? hard.Node}) ended {hard.Status} in {Where(plan, run)}: {error.Message} Left to do: {LeftToDo(plan, run)}"),
                    };
                    stored = await store.SaveRunAsync(run, stored.ETag, cancellationToken);
                    LogFinished(logger, plan.Id, plan.Cluster, run.Status);
                    return run;
                }

                if (failed.Count > 0)
                {
                    var desired = Desired(plan, run).ToDictionary(d => d.Target, d => d.Submission, StringComparer.Ordinal);
                    var retried = new List<RolloutStepRun>();
                    foreach (var step in run.Current)
                    {
                        retried.Add(failed.Any(f => f.Step == step)
                            ? new RolloutStepRun(step.Target, await SubmitAsync(plan, run, step.Target, desired[step.Target], step.Attempts + 1, cancellationToken), step.Attempts + 1)
                            : step);
                    }

                    run = run with { Current = retried, Requests = [.. run.Requests, .. retried.Except(run.Current).Select(s => s.RequestId)], UpdatedAt = now };
                    stored = await store.SaveRunAsync(run, stored.ETag, cancellationToken);
                    return run;
                }

                run = Advance(run, now);
            }

            if (run != stored.Run)
            {
                stored = await store.SaveRunAsync(run, stored.ETag, cancellationToken);
            }

            return run;
        }
        catch (StoreException ex) when (ex.IsConflict)
        {
            // Another instance advanced (or paused) the run since it was read: its write stands.
            return (await store.GetRunAsync(plan.Cluster, plan.Id, cancellationToken))?.Run ?? run;
        }
    }

    private async Task<string> SubmitAsync(RolloutPlan plan, RolloutRun run, string target, PartitionRequestSubmission submission, int attempt, CancellationToken cancellationToken)
    {
        var key = string.Create(CultureInfo.InvariantCulture, $"rollout:{plan.Id}:{run.Stage}:{run.Phase}:{target}:{attempt}");
        var outcome = await requests.SubmitAsync(submission with { IdempotencyKey = key, Origin = RequestOrigin.Rollout, RequestedBy = run.StartedBy, PartOfRollout = true }, cancellationToken);
        return outcome.Request.Id;
    }

    /// <summary>The requests the run's current phase needs, by target (VM id or node).</summary>
    private static List<(string Target, PartitionRequestSubmission Submission)> Desired(RolloutPlan plan, RolloutRun run)
    {
        var stage = plan.Stages[run.Stage];
        return run.Phase switch
        {
            // A VM losing its partition is started again without one right away; one that gets it back stays off.
            RolloutPhase.Vacate => [.. stage.Steps
                .Where(s => s.Kind is VmStepKind.LosePartition or VmStepKind.StopInPlace)
                .Select(s => (s.VmId.ToString(), new PartitionRequestSubmission(
                    PartitionAction.Unassign,
                    plan.Cluster,
                    s.FromNode,
                    s.VmName,
                    s.VmId,
                    PowerAfter: s.Kind == VmStepKind.LosePartition ? PowerAfterChange.RestorePrevious : PowerAfterChange.LeaveOff)))],
            RolloutPhase.ChangeCount => [.. stage.Nodes.Select(n => (n, PartitionRequestSubmission.ConfigureCount(plan.Cluster, n, plan.Request.PartitionCount)))],
            _ => [.. stage.Steps
                .Where(s => s.Kind == VmStepKind.StopInPlace)
                .Select(s => (s.VmId.ToString(), new PartitionRequestSubmission(
                    PartitionAction.Assign,
                    plan.Cluster,
                    s.ToNode,
                    s.VmName,
                    s.VmId,
                    PowerAfter: s.WasRunning ? PowerAfterChange.Start : PowerAfterChange.LeaveOff)))],
        };
    }

    private static RolloutRun Advance(RolloutRun run, DateTimeOffset now) => run.Phase switch
    {
        RolloutPhase.Vacate => run with { Phase = RolloutPhase.ChangeCount, Current = [], UpdatedAt = now },
        RolloutPhase.ChangeCount => run with { Phase = RolloutPhase.GiveBack, Current = [], UpdatedAt = now },
        _ => run with { Stage = run.Stage + 1, Phase = RolloutPhase.Vacate, Current = [], UpdatedAt = now },
    };

    private static bool Retryable(PartitionRequest request, RolloutStepRun step)
        => request.Status == RequestStatus.Rejected && request.Error is { } error && RequestCodes.DependsOnState(error.Code) && step.Attempts < MaxAttempts;

    private static string Where(RolloutPlan plan, RolloutRun run)
        => run.Stage >= plan.Stages.Count
            ? "the end"
            : string.Create(CultureInfo.InvariantCulture, $"stage {run.Stage + 1} of {plan.Stages.Count} ({string.Join(", ", plan.Stages[run.Stage].Nodes)}), phase {run.Phase}");

    /// <summary>What the rollout had yet to do when it stopped, from the current phase on, for the operator.</summary>
    public static string LeftToDo(RolloutPlan plan, RolloutRun run)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(run);
        var left = new List<string>();
        for (var i = run.Stage; i < plan.Stages.Count; i++)
        {
            var stage = plan.Stages[i];
            var from = i == run.Stage ? run.Phase : RolloutPhase.Vacate;
            var vacate = stage.Steps.Where(s => s.Kind is VmStepKind.LosePartition or VmStepKind.StopInPlace).Select(s => s.VmName).ToList();
            var giveBack = stage.Steps.Where(s => s.Kind == VmStepKind.StopInPlace).Select(s => s.VmName).ToList();
            if (from == RolloutPhase.Vacate && vacate.Count > 0)
            {
                left.Add($"unassign {string.Join(", ", vacate)}");
            }

            if (from <= RolloutPhase.ChangeCount)
            {
                left.Add(string.Create(CultureInfo.InvariantCulture, $"set {plan.Request.PartitionCount} partitions on {string.Join(", ", stage.Nodes)}"));
            }

            if (giveBack.Count > 0)
            {
                left.Add($"assign {string.Join(", ", giveBack)} again");
            }
        }

        return left.Count == 0 ? "nothing." : string.Join("; ", left) + ".";
    }

    private async Task<RolloutRun> ChangeStatusAsync(string cluster, string planId, RolloutStatus? from, RolloutStatus to, Func<RolloutRun, RequestNotice?>? note, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var stored = await store.GetRunAsync(cluster, planId, cancellationToken)
                ?? throw new ControlPlaneException(RolloutCodes.RolloutNotRunning, $"Plan {planId} of cluster {cluster} was never applied.", isRetryable: false);
            var run = stored.Run;
            if (run.Status == to)
            {
                return run;
            }

            if (run.IsFinished || (from is { } expected && run.Status != expected))
            {
                throw new ControlPlaneException(RolloutCodes.RolloutNotRunning, $"The rollout of plan {planId} is {run.Status}; it can't become {to}.", isRetryable: false);
            }

            try
            {
                var changed = run with { Status = to, UpdatedAt = time.GetUtcNow(), Note = note?.Invoke(run) ?? run.Note };
                await store.SaveRunAsync(changed, stored.ETag, cancellationToken);
                LogStatus(logger, planId, cluster, to);
                return changed;
            }
            catch (StoreException ex) when (ex.IsConflict && attempt < options.Value.MaxConcurrencyAttempts)
            {
                // A reconcile wrote in between: read again and decide again.
            }
        }
    }

    private async Task<RolloutPlan> RequirePlanAsync(string cluster, string planId, CancellationToken cancellationToken)
        => await store.GetAsync(cluster, planId, cancellationToken)
            ?? throw new ControlPlaneException(RolloutCodes.UnknownPlan, $"Cluster {cluster} has no partition count plan {planId}.", isRetryable: false);

    /// <summary>The nodes whose inventory differs from the plan's in what the plan depends on, or that appeared or went.</summary>
    private static List<string> Outdated(RolloutPlan plan, ClusterInventory current)
    {
        var marks = plan.Inventory.ToDictionary(m => m.Node, StringComparer.OrdinalIgnoreCase);
        var changed = current.Nodes
            .Where(n => !marks.TryGetValue(n.Node, out var mark) || mark.Fingerprint != InventoryMark.FingerprintOf(n))
            .Select(n => n.Node)
            .ToList();
        changed.AddRange(plan.Inventory.Where(m => current.FindNode(m.Node) is null).Select(m => m.Node));
        return changed;
    }

    private string? Stale(ClusterInventory current, DateTimeOffset now)
    {
        var maxAge = options.Value.InventoryMaxAge;
        var stale = current.Nodes.Where(n => now - n.TakenAt > maxAge).Select(n => n.Node).ToList();
        return stale.Count == 0
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"the inventory of {string.Join(", ", stale)} is older than {maxAge.TotalMinutes:N0} minutes (the node may be unreachable).");
    }

    [LoggerMessage(EventId = 3702, Level = LogLevel.Information, Message = "Applying rollout {PlanId} of cluster {Cluster} to {PartitionCount} partitions in {Stages} stage(s), started by {StartedBy}")]
    private static partial void LogApplied(ILogger logger, string planId, string cluster, int partitionCount, int stages, string startedBy);

    [LoggerMessage(EventId = 3703, Level = LogLevel.Information, Message = "Rollout {PlanId} of cluster {Cluster} is now {Status}")]
    private static partial void LogStatus(ILogger logger, string planId, string cluster, RolloutStatus status);

    [LoggerMessage(EventId = 3704, Level = LogLevel.Information, Message = "Rollout {PlanId} of cluster {Cluster} ended {Status}")]
    private static partial void LogFinished(ILogger logger, string planId, string cluster, RolloutStatus status);
}
