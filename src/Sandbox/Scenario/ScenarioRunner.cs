using System.Net;
using GpuAutomation.Functions.Api;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.HostRunner.Simulation;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>
/// The scripted tour of the product. Every change a user makes goes through the REST API over HTTP; the emulator is
/// touched only for what the outside world does (a VM is created, someone changes a VM's OfflineAction by hand).
/// Steps run in order and stop at the first that does not go as expected (later steps build on earlier ones).
/// </summary>
public sealed class ScenarioRunner(ControlPlaneClient api, EmulatedCluster world, string cluster, IScenarioProgress progress, TimeProvider time)
{
    /// <summary>The VM the scenario creates in the simulated cluster; the policy selects it by name.</summary>
    public const string CreatedVm = "vdi-03";

    /// <summary>The VM the scenario assigns through the API, drifts, and unassigns.</summary>
    public const string ApiVm = "render-01";

    /// <summary>The running VM the placement step moves off its full node to give it a partition.</summary>
    public const string PlacedVm = "vdi-01";

    public const int PartitionCount = 4;

    /// <summary>The count the rolling change goes to, with GPU VMs assigned and running.</summary>
    public const int RolledCount = 8;

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private RolloutPlanView? _rolloutPlan;

    public async Task<ScenarioReport> RunAsync(CancellationToken cancellationToken)
    {
        (string Title, Func<CancellationToken, Task<(string Detail, IReadOnlyList<RequestView> Requests)>> Run)[] steps =
        [
            ("Hosts report their inventory", WaitForInventoryAsync),
            ("Provisioning policy: VMs named vdi-* get a partition", PutPolicyAsync),
            ($"Set partition count {PartitionCount} on the cluster", SetPartitionCountAsync),
            ($"VM {CreatedVm} created → provisioned by policy", CreateVmAsync),
            ($"Request through the API → partition assigned to {ApiVm}", AssignThroughApiAsync),
            ($"Drift on {ApiVm} → compliance scan → remediated", DriftAndRemediateAsync),
            ($"Unassign {ApiVm}", UnassignAsync),
            ($"Refused request: a second partition for {CreatedVm}", RefusedRequestAsync),
            ($"Placement: {PlacedVm} on a full node live-migrates where a partition is free and gets it there", PlacementAsync),
            ($"Rolling change of the cluster to {RolledCount} partitions with {CreatedVm} running: plan, then apply", RollingChangeAsync),
            ($"Failover reserve: an assign for {ApiVm} that would break it is refused", HeadroomRefusalAsync),
            ($"Queued request for {ApiVm} fulfilled when {CreatedVm} is unassigned", QueuedAndFulfilledAsync),
        ];

        var results = new List<ScenarioStep>();
        for (var i = 0; i < steps.Length; i++)
        {
            var (title, run) = steps[i];
            progress.StepStarted(i, steps.Length, title);
            var started = time.GetTimestamp();
            ScenarioStep result;
            try
            {
                var (detail, requests) = await run(cancellationToken);
                result = new ScenarioStep(title, true, detail, requests, time.GetElapsedTime(started));
            }
            catch (ScenarioFailedException e)
            {
                result = new ScenarioStep(title, false, e.Message, [], time.GetElapsedTime(started));
            }
            catch (HttpRequestException e)
            {
                result = new ScenarioStep(title, false, $"The control plane could not be reached: {e.Message}", [], time.GetElapsedTime(started));
            }

            results.Add(result);
            progress.StepFinished(result);
            if (!result.Passed)
            {
                break;
            }
        }

        ClusterView? final = null;
        try
        {
            final = await api.GetInventoryAsync(cluster, cancellationToken);
        }
        catch (HttpRequestException)
        {
            // The report says what the steps saw; a final inventory is a bonus when the API still answers.
        }

        return new ScenarioReport(results, final, _rolloutPlan);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> WaitForInventoryAsync(CancellationToken cancellationToken)
    {
        progress.StepActivity($"waiting for {world.Nodes.Count} nodes of {cluster} to report");
        var view = await WaitForInventoryAsync(
            v => world.Nodes.All(n => v.Nodes.Contains(n, StringComparer.OrdinalIgnoreCase)),
            $"every node of {cluster} ({string.Join(", ", world.Nodes)}) in the inventory",
            cancellationToken);
        return ($"{view.Nodes.Count} nodes, {view.Gpus.Count} GPUs, {view.Vms.Count} VMs", []);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> PutPolicyAsync(CancellationToken cancellationToken)
    {
        const string policy = """
            {
              "rules": [
                { "name": "vdi", "namePattern": "vdi-*", "assignPartition": true, "offlineAction": "ForceShutdown", "startAfter": true }
              ],
              "remediation": { "fixOfflineAction": true, "maxRequestsPerScan": 5 }
            }
            """;
        var answer = await api.PutAsync($"api/clusters/{cluster}/policy", policy, cancellationToken);
        Expect(answer.IsSuccess, $"PUT policy answered {answer.Describe()}");
        return ("rule 'vdi': name vdi-* → partition, OfflineAction ForceShutdown, start after; remediation fixes OfflineAction", []);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> SetPartitionCountAsync(CancellationToken cancellationToken)
    {
        var answer = await api.PutAsync($"api/clusters/{cluster}/partition-count", $$"""{ "partitionCount": {{PartitionCount}} }""", cancellationToken);
        Expect(answer.Status == HttpStatusCode.Accepted && answer.Body is not null, $"PUT partition-count answered {answer.Describe()}");
        var accepted = RequestView.All(answer.Body!);
        Expect(accepted.Count > 0, $"PUT partition-count accepted no request: {answer.Describe()}");
        var done = await WaitForRequestsAsync(accepted.Select(r => r.Id), cancellationToken);
        ExpectAll(done, "Succeeded");
        var view = await WaitForInventoryAsync(v => v.Gpus.Count > 0 && v.Gpus.All(g => g.PartitionCount == PartitionCount), $"every GPU at {PartitionCount} partitions", cancellationToken);
        return ($"{done.Count} request(s) succeeded; {view.Gpus.Count} GPUs × {PartitionCount} = {view.Gpus.Sum(g => g.PartitionCount)} partitions", done);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> CreateVmAsync(CancellationToken cancellationToken)
    {
        var node = world.Nodes[0];
        progress.StepActivity($"creating {CreatedVm} on {node} (off, OfflineAction Save)");
        world.AddVm(node, new VmDescription(CreatedVm, State: VmPowerState.Off, OfflineAction: OfflineAction.Save));
        progress.StepActivity($"waiting for {node} to report the new VM and the policy to act");
        var request = await WaitForAsync(
            async ct => (await api.ListRequestsAsync(cluster, CreatedVm, ct)).FirstOrDefault(r => r.IsTerminal),
            $"a finished request for {CreatedVm}",
            cancellationToken);
        Expect(request.Is("Succeeded"), $"the provisioning request ended {request}");
        var vm = await WaitForVmAsync(CreatedVm, v => v.Partitions == 1, "1 partition", cancellationToken);
        Expect(vm.OfflineAction == OfflineAction.ForceShutdown, $"{CreatedVm} has OfflineAction {vm.OfflineAction}, expected ForceShutdown");
        Expect(vm.PowerState == VmPowerState.Running, $"{CreatedVm} is {vm.PowerState}, expected Running (the rule starts it)");
        return ($"request {request.Id} ({request.Origin ?? "policy"}) succeeded: {CreatedVm} on {vm.Node}, 1 partition, OfflineAction {vm.OfflineAction}, {vm.PowerState}", [request]);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> AssignThroughApiAsync(CancellationToken cancellationToken)
    {
        var request = await SubmitAndWaitAsync(ApiVm, "assign", cancellationToken);
        Expect(request.Is("Succeeded"), $"the assign request ended {request}");
        var vm = await WaitForVmAsync(ApiVm, v => v.Partitions == 1, "1 partition", cancellationToken);
        Expect(vm.OfflineAction == OfflineAction.ForceShutdown, $"{ApiVm} has OfflineAction {vm.OfflineAction}, expected ForceShutdown");
        Expect(vm.PowerState == VmPowerState.Running, $"{ApiVm} is {vm.PowerState}, expected Running again (it ran before)");
        return ($"request {request.Id} succeeded in {request.StepCount} steps: {ApiVm} on {vm.Node}, 1 partition, running", [request]);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> DriftAndRemediateAsync(CancellationToken cancellationToken)
    {
        var id = world.Vm(ApiVm).Id;
        progress.StepActivity($"someone sets OfflineAction of {ApiVm} back to Save by hand");
        world.SetOfflineAction(id, OfflineAction.Save);
        await WaitForVmAsync(ApiVm, v => v.OfflineAction == OfflineAction.Save, "the drift reported (OfflineAction Save)", cancellationToken);

        progress.StepActivity("POST compliance/scan");
        var answer = await api.PostAsync($"api/clusters/{cluster}/compliance/scan", null, cancellationToken);
        Expect(answer.IsSuccess, $"the scan answered {answer.Describe()}");
        var findings = ApiBodies.Read(answer.Body, ApiJsonContext.Default.ComplianceReportView).Findings;
        var finding = findings.FirstOrDefault(f =>
            f.Rule == "offline-action-not-forced-shutdown" && f.Resource.Contains(ApiVm, StringComparison.OrdinalIgnoreCase));
        Expect(finding is not null, $"no offline-action finding for {ApiVm} among {findings.Count}: {string.Join("; ", findings.Select(f => f.Rule + " " + f.Resource))}");
        var remediationId = finding!.RemediationRequestId;
        Expect(remediationId is not null, $"the finding for {ApiVm} has no remediation request: {finding}");

        var done = await WaitForRequestsAsync([remediationId!], cancellationToken);
        ExpectAll(done, "Succeeded");
        var vm = await WaitForVmAsync(ApiVm, v => v.OfflineAction == OfflineAction.ForceShutdown, "OfflineAction ForceShutdown again", cancellationToken);
        return ($"{findings.Count} finding(s); '{finding.Message}' → request {remediationId} succeeded; {ApiVm} OfflineAction {vm.OfflineAction}", done);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> UnassignAsync(CancellationToken cancellationToken)
    {
        var request = await SubmitAndWaitAsync(ApiVm, "unassign", cancellationToken);
        Expect(request.Is("Succeeded"), $"the unassign request ended {request}");
        var vm = await WaitForVmAsync(ApiVm, v => v.Partitions == 0, "no partition", cancellationToken);
        return ($"request {request.Id} succeeded: {ApiVm} has no partition, {vm.PowerState}", [request]);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> RefusedRequestAsync(CancellationToken cancellationToken)
    {
        var answer = await api.PostAsync("api/partition-requests", Submission(CreatedVm, "assign"), cancellationToken);
        if (!answer.IsSuccess)
        {
            // Refused at the door: problem+json with a stable code, nothing stored or sent.
            Expect(answer.ProblemCode is not null && answer.ProblemDetail is not null, $"the refusal carries no code and detail: {answer.Describe()}");
            return ($"{(int)answer.Status} {answer.ProblemCode}: {answer.ProblemDetail}", []);
        }

        // Accepted for the record and rejected by validation: the request says why.
        var accepted = RequestView.All(answer.Body!);
        Expect(accepted.Count == 1, $"the submission answered {answer.Describe()}");
        var done = (await WaitForRequestsAsync([accepted[0].Id], cancellationToken))[0];
        Expect(done.Is("Rejected") && done.ErrorCode is not null, $"expected a rejection with a reason, got {done}");
        return ($"request {done.Id} Rejected — {done.ErrorCode}: {done.ErrorMessage}", [done]);
    }

    /// <summary>
    /// Fills the node <see cref="PlacedVm"/> runs on (new VMs given its free partitions through the API), lets the policy
    /// move VMs, and asks for a partition for <see cref="PlacedVm"/>: accepted on the other node, it live-migrates
    /// there (it holds no partition yet) and is assigned. The filler VMs are deleted afterwards, as an admin would.
    /// </summary>
    private async Task<(string, IReadOnlyList<RequestView>)> PlacementAsync(CancellationToken cancellationToken)
    {
        var full = world.Vm(PlacedVm).Node;
        var before = await WaitForInventoryAsync(_ => true, "the inventory", cancellationToken);
        var free = before.Gpus.Where(g => string.Equals(g.Node, full, StringComparison.OrdinalIgnoreCase)).Sum(g => g.PartitionCount - g.AssignedPartitions);
        var fillers = Enumerable.Range(1, free).Select(i => $"batch-{i:00}").ToList();
        progress.StepActivity($"filling {full}: {free} new VMs (batch-01…) get its free partitions");
        var fillerIds = fillers.Select(f => world.AddVm(full, new VmDescription(f, State: VmPowerState.Off))).ToList();
        await WaitForInventoryAsync(v => fillers.All(f => v.Vm(f) is not null), $"{full} to report {fillers.Count} new VMs", cancellationToken);
        var filled = new List<string>();
        foreach (var filler in fillers)
        {
            var answer = await api.PostAsync("api/partition-requests", Submission(filler, "assign"), cancellationToken);
            Expect(answer.Status == HttpStatusCode.Accepted && answer.Body is not null, $"POST partition-requests (assign {filler}) answered {answer.Describe()}");
            filled.Add(RequestView.From(answer.Body).Id);
        }

        ExpectAll(await WaitForRequestsAsync(filled, cancellationToken), "Succeeded");

        progress.StepActivity("PUT policy: moves live-migrate, strategy spread");
        var put = await api.PutAsync($"api/clusters/{cluster}/policy", """
            {
              "rules": [
                { "name": "vdi", "namePattern": "vdi-*", "assignPartition": true, "offlineAction": "ForceShutdown", "startAfter": true }
              ],
              "remediation": { "fixOfflineAction": true, "maxRequestsPerScan": 5 },
              "moves": "live-migrate",
              "strategy": "spread"
            }
            """, cancellationToken);
        Expect(put.IsSuccess, $"PUT policy answered {put.Describe()}");

        progress.StepActivity($"POST partition-requests assign {PlacedVm} ({full} has no free partition)");
        var accepted = await api.PostAsync("api/partition-requests", Submission(PlacedVm, "assign"), cancellationToken);
        Expect(accepted.Status == HttpStatusCode.Accepted && accepted.Body is not null, $"POST partition-requests (assign {PlacedVm}) answered {accepted.Describe()}");
        var placed = RequestView.From(accepted.Body);
        Expect(placed.View.Placement is { } p && string.Equals(p.From, full, StringComparison.OrdinalIgnoreCase), $"expected the request placed away from {full}, got {placed} (placement {placed.View.Placement})");
        var placement = placed.View.Placement!;
        var done = (await WaitForRequestsAsync([placed.Id, placement.MoveRequestId], cancellationToken)).ToList();
        ExpectAll(done, "Succeeded");
        var vm = await WaitForVmAsync(PlacedVm, v => v.Partitions == 1 && v.PowerState == VmPowerState.Running && string.Equals(v.Node, placement.To, StringComparison.OrdinalIgnoreCase), $"1 partition, running on {placement.To}", cancellationToken);
        var moved = (await api.GetRequestAsync(placed.Id, cancellationToken))!.View.Placement?.Moved;

        progress.StepActivity($"deleting the {fillers.Count} filler VMs");
        foreach (var id in fillerIds)
        {
            world.RemoveVm(id);
        }

        await WaitForInventoryAsync(v => fillers.All(f => v.Vm(f) is null), $"{full} to report the filler VMs gone", cancellationToken);
        return ($"{full} full ({fillers.Count} partitions given to batch-01…{fillers[^1]}); request {placed.Id} placed on {placement.To} from {placement.From} ({placement.Mode}): {placement.Reason} Move {placement.MoveRequestId} and assign succeeded, {moved}; {PlacedVm} on {vm.Node}, 1 partition, {vm.PowerState}; filler VMs deleted", done);
    }

    /// <summary>
    /// Plans the rolling change (shown as a table), applies it and waits for the rollout to finish: node by node, the
    /// node's GPU VMs give up their partitions and stay off, its count changes, they get them back and start again.
    /// </summary>
    private async Task<(string, IReadOnlyList<RequestView>)> RollingChangeAsync(CancellationToken cancellationToken)
    {
        progress.StepActivity($"POST partition-count/plans {{ partitionCount: {RolledCount} }}");
        var planned = await api.PostAsync($"api/clusters/{cluster}/partition-count/plans", $$"""{ "partitionCount": {{RolledCount}} }""", cancellationToken);
        Expect(planned.Status == HttpStatusCode.Created && planned.Body is not null, $"POST plans answered {planned.Describe()}");
        var plan = ApiBodies.Read(planned.Body, ApiJsonContext.Default.RolloutPlanView);
        Expect(plan.CanApply, $"the plan can't be applied: {string.Join(" ", plan.Blockers.Select(b => b.Message))}");
        Expect(plan.Stages.SelectMany(s => s.Steps).Any(s => s.Vm == CreatedVm), $"the plan doesn't touch {CreatedVm}, which holds a partition");
        _rolloutPlan = plan;

        progress.StepActivity($"POST plans/{plan.Id}/apply");
        var applied = await api.PostAsync($"api/clusters/{cluster}/partition-count/plans/{plan.Id}/apply", null, cancellationToken);
        Expect(applied.Status == HttpStatusCode.Accepted, $"apply answered {applied.Describe()}");
        var done = await WaitForAsync(
            async ct => ApiBodies.Read((await api.GetAsync($"api/clusters/{cluster}/partition-count/plans/{plan.Id}", ct)).Body, ApiJsonContext.Default.RolloutPlanView).Run is { Status: not "running" and not "paused" } run ? run : null,
            $"the rollout of plan {plan.Id} to finish",
            cancellationToken);
        Expect(done.Status == "succeeded", $"the rollout ended {done.Status}: {done.Note?.Message}");
        var view = await WaitForInventoryAsync(v => v.Gpus.All(g => g.PartitionCount == RolledCount), $"every GPU at {RolledCount} partitions", cancellationToken);
        var vm = await WaitForVmAsync(CreatedVm, v => v.Partitions == 1 && v.PowerState == VmPowerState.Running, "its partition back and running", cancellationToken);
        var requests = new List<RequestView>();
        foreach (var id in done.Requests)
        {
            requests.Add((await api.GetRequestAsync(id, cancellationToken))!);
        }

        ExpectAll(requests, "Succeeded");
        return ($"plan {plan.Id}: {plan.Stages.Count} stages (table below); {done.Requests.Count} requests, all succeeded; {view.Gpus.Count} GPUs at {RolledCount}; {CreatedVm} on {vm.Node}, 1 partition, {vm.PowerState}", requests);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> HeadroomRefusalAsync(CancellationToken cancellationToken)
    {
        // A fixed reserve of every partition free now: any further grant would eat into it.
        var view = await WaitForInventoryAsync(_ => true, "the inventory", cancellationToken);
        var free = view.Gpus.Sum(g => g.PartitionCount - g.AssignedPartitions);
        Expect(free > 0, $"no free partition left in {cluster} to reserve");
        var policy = $$"""
            {
              "rules": [
                { "name": "vdi", "namePattern": "vdi-*", "assignPartition": true, "offlineAction": "ForceShutdown", "startAfter": true }
              ],
              "remediation": { "fixOfflineAction": true, "maxRequestsPerScan": 5 },
              "reserve": "fixed",
              "reservePartitions": {{free}}
            }
            """;
        var put = await api.PutAsync($"api/clusters/{cluster}/policy", policy, cancellationToken);
        Expect(put.IsSuccess, $"PUT policy answered {put.Describe()}");
        var answer = await api.PostAsync("api/partition-requests", Submission(ApiVm, "assign"), cancellationToken);
        Expect(answer.Status == HttpStatusCode.Conflict && answer.ProblemCode == "headroom-reserved", $"expected 409 headroom-reserved, got {answer.Describe()}");
        return ($"policy reserve fixed {free}; 409 {answer.ProblemCode}: {answer.ProblemDetail}", []);
    }

    private async Task<(string, IReadOnlyList<RequestView>)> QueuedAndFulfilledAsync(CancellationToken cancellationToken)
    {
        progress.StepActivity($"POST partition-requests assign {ApiVm} with queue {{maxWaitMinutes: 10}}");
        var answer = await api.PostAsync(
            "api/partition-requests",
            $$"""{ "cluster": "{{cluster}}", "vm": "{{ApiVm}}", "action": "assign", "queue": { "maxWaitMinutes": 10, "priority": 5 } }""",
            cancellationToken);
        Expect(answer.Status == HttpStatusCode.Accepted && answer.Body is not null, $"POST partition-requests (queued assign) answered {answer.Describe()}");
        var queued = RequestView.From(answer.Body);
        Expect(queued.Is("Queued") && queued.View.QueuePosition == 1, $"expected the request Queued at position 1, got {queued} (position {queued.View.QueuePosition})");

        var unassign = await SubmitAndWaitAsync(CreatedVm, "unassign", cancellationToken);
        Expect(unassign.Is("Succeeded"), $"the unassign of {CreatedVm} ended {unassign}");
        var done = (await WaitForRequestsAsync([queued.Id], cancellationToken))[0];
        Expect(done.Is("Succeeded"), $"the queued request ended {done}");
        var vm = await WaitForVmAsync(ApiVm, v => v.Partitions == 1, "1 partition", cancellationToken);
        return ($"request {queued.Id} Queued (position 1) → {CreatedVm} unassigned (request {unassign.Id}) → admitted and succeeded: {ApiVm} on {vm.Node}, 1 partition", [queued, unassign, done]);
    }

    private async Task<RequestView> SubmitAndWaitAsync(string vm, string action, CancellationToken cancellationToken)
    {
        progress.StepActivity($"POST partition-requests {action} {vm}");
        var answer = await api.PostAsync("api/partition-requests", Submission(vm, action), cancellationToken);
        Expect(answer.Status == HttpStatusCode.Accepted && answer.Body is not null, $"POST partition-requests ({action} {vm}) answered {answer.Describe()}");
        var accepted = RequestView.All(answer.Body!);
        Expect(accepted.Count == 1, $"POST partition-requests answered {accepted.Count} requests: {answer.Describe()}");
        return (await WaitForRequestsAsync([accepted[0].Id], cancellationToken))[0];
    }

    private string Submission(string vm, string action) => $$"""{ "cluster": "{{cluster}}", "vm": "{{vm}}", "action": "{{action}}" }""";

    private async Task<IReadOnlyList<RequestView>> WaitForRequestsAsync(IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var results = new List<RequestView>();
        foreach (var id in ids)
        {
            progress.StepActivity($"waiting for request {id}");
            results.Add(await WaitForAsync(
                async ct => await api.GetRequestAsync(id, ct) is { IsTerminal: true } r ? r : null,
                $"request {id} to finish",
                cancellationToken));
        }

        return results;
    }

    private Task<ObservedVm> WaitForVmAsync(string name, Func<ObservedVm, bool> condition, string what, CancellationToken cancellationToken)
        => WaitForAsync(
            async ct => (await api.GetInventoryAsync(cluster, ct))?.Vm(name) is { } vm && condition(vm) ? vm : null,
            $"{name} in the inventory with {what}",
            cancellationToken);

    private Task<ClusterView> WaitForInventoryAsync(Func<ClusterView, bool> condition, string what, CancellationToken cancellationToken)
        => WaitForAsync(
            async ct => await api.GetInventoryAsync(cluster, ct) is { } view && condition(view) ? view : null,
            what,
            cancellationToken);

    /// <summary>Polls until <paramref name="probe"/> answers, or fails the step after <see cref="WaitLimit"/>.</summary>
    private async Task<T> WaitForAsync<T>(Func<CancellationToken, Task<T?>> probe, string what, CancellationToken cancellationToken)
        where T : class
    {
        var started = time.GetTimestamp();
        while (true)
        {
            if (await probe(cancellationToken) is { } found)
            {
                return found;
            }

            if (time.GetElapsedTime(started) > WaitLimit)
            {
                throw new ScenarioFailedException($"Waited {WaitLimit.TotalSeconds:0} s for {what}; it did not happen.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
        }
    }

    private static void ExpectAll(IReadOnlyList<RequestView> requests, string status)
    {
        var other = requests.Where(r => !r.Is(status)).ToList();
        Expect(other.Count == 0, $"expected every request {status}: {string.Join("; ", other)}");
    }

    private static void Expect(bool condition, string otherwise)
    {
        if (!condition)
        {
            throw new ScenarioFailedException(otherwise);
        }
    }
}
