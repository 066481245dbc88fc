using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Rollout;
using GpuAutomation.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary><c>POST /api/clusters/{c}/partition-count/plans</c> over the real core: a plan, stored, touching nothing.</summary>
public sealed class RolloutPlanApiTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(HostingMode.FunctionsHost);
        var inventory = _app.Services.GetRequiredService<InventoryStore>();
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1", vmOneHolds: true), default);
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node2", _ => ControlPlaneFixture.Node("node2"), default);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_plan_lists_stages_steps_and_headroom_can_be_read_back_and_sends_nothing()
    {
        var (status, plan, location) = await SendAsync(HttpMethod.Post, "/api/clusters/cl1/partition-count/plans", Principals.Operator, """{"partitionCount":8,"moves":"live-migrate"}""");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.True(plan!["canApply"]!.GetValue<bool>());
        Assert.Equal("live-migrate", plan["moves"]!.GetValue<string>());
        var stages = plan["stages"]!.AsArray();
        Assert.Equal(["node2", "node1"], stages.Select(s => s!["nodes"]![0]!.GetValue<string>()));
        var step = Assert.Single(stages[1]!["steps"]!.AsArray());
        Assert.Equal(("vm-one", "live-migrate", "node2", 0.0), (step!["vm"]!.GetValue<string>(), step["kind"]!.GetValue<string>(), step["toNode"]!.GetValue<string>(), step["downtimeSeconds"]!.GetValue<double>()));
        Assert.Equal(60, plan["estimatesSeconds"]!["stopVm"]!.GetValue<double>());

        var (read, again, _) = await SendAsync(HttpMethod.Get, location!, Principals.Reader);
        Assert.Equal(HttpStatusCode.OK, read);
        Assert.Equal(plan.ToJsonString(), again!.ToJsonString());
        var requests = await _app.Services.GetRequiredService<PartitionRequestService>().ListAsync(new RequestListQuery(ControlPlaneFixture.Cluster, PageSize: 100), default);
        Assert.Empty(requests.Requests);
    }

    [Fact]
    public async Task A_count_the_gpus_do_not_offer_is_planned_with_a_blocker_and_an_unknown_cluster_is_404()
    {
        var (status, plan, _) = await SendAsync(HttpMethod.Post, "/api/clusters/cl1/partition-count/plans", Principals.Operator, """{"partitionCount":3}""");
        var (unknown, problem, _) = await SendAsync(HttpMethod.Post, "/api/clusters/nowhere/partition-count/plans", Principals.Operator, """{"partitionCount":8}""");
        var (badMoves, badMovesProblem, _) = await SendAsync(HttpMethod.Post, "/api/clusters/cl1/partition-count/plans", Principals.Operator, """{"partitionCount":8,"moves":1}""");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.False(plan!["canApply"]!.GetValue<bool>());
        Assert.All(plan["blockers"]!.AsArray(), b => Assert.Equal(RequestCodes.InvalidPartitionCount, b!["code"]!.GetValue<string>()));
        Assert.Empty(plan["stages"]!.AsArray());
        Assert.Equal((HttpStatusCode.NotFound, RequestCodes.UnknownCluster), (unknown, problem!["code"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, badMoves);
        Assert.NotNull(badMovesProblem!["code"]);
        var (missing, missingProblem, _) = await SendAsync(HttpMethod.Get, "/api/clusters/cl1/partition-count/plans/nope", Principals.Reader);
        Assert.Equal((HttpStatusCode.NotFound, RolloutCodes.UnknownPlan), (missing, missingProblem!["code"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Applied_the_plan_runs_as_requests_and_can_be_paused_resumed_and_cancelled_through_the_api()
    {
        var (_, plan, location) = await SendAsync(HttpMethod.Post, "/api/clusters/cl1/partition-count/plans", Principals.Operator, """{"partitionCount":8}""");

        var (applied, view, _) = await SendAsync(HttpMethod.Post, location + "/apply", Principals.Operator);
        var (again, viewAgain, _) = await SendAsync(HttpMethod.Post, location + "/apply", Principals.Operator);
        var (paused, pausedRun, _) = await SendAsync(HttpMethod.Post, location + "/pause", Principals.Operator);
        var (resumed, resumedRun, _) = await SendAsync(HttpMethod.Post, location + "/resume", Principals.Operator);
        var (resumedTwice, stillRunning, _) = await SendAsync(HttpMethod.Post, location + "/resume", Principals.Operator);
        var (cancelled, cancelledRun, _) = await SendAsync(HttpMethod.Post, location + "/cancel", Principals.Operator);
        var (_, read, _) = await SendAsync(HttpMethod.Get, location!, Principals.Reader);

        Assert.Equal(HttpStatusCode.Accepted, applied);
        var run = view!["run"]!;
        Assert.Equal(("running", 1, 2, "change-count", "alice@contoso.com"), (run["status"]!.GetValue<string>(), run["stage"]!.GetValue<int>(), run["stages"]!.GetValue<int>(), run["phase"]!.GetValue<string>(), run["startedBy"]!.GetValue<string>()));
        var request = Assert.Single(run["currentRequests"]!.AsArray())!.GetValue<string>();
        var stored = await _app.Services.GetRequiredService<PartitionRequestService>().GetAsync(request, default);
        Assert.Equal((PartitionAction.ConfigurePartitionCount, "node2", RequestOrigin.Rollout), (stored!.Action, stored.Node, stored.Origin));
        Assert.Equal((HttpStatusCode.Accepted, run.ToJsonString()), (again, viewAgain!["run"]!.ToJsonString()));
        Assert.Equal((HttpStatusCode.OK, "paused"), (paused, pausedRun!["status"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.OK, "running"), (resumed, resumedRun!["status"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.OK, "running"), (resumedTwice, stillRunning!["status"]!.GetValue<string>()));
        Assert.Equal((HttpStatusCode.OK, "cancelled"), (cancelled, cancelledRun!["status"]!.GetValue<string>()));
        Assert.Equal(RolloutCodes.RolloutCancelled, cancelledRun["note"]!["code"]!.GetValue<string>());
        Assert.StartsWith("set 8 partitions on node2", cancelledRun["leftToDo"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("cancelled", read!["run"]!["status"]!.GetValue<string>());
        Assert.Null(plan!["run"]);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body, string? Location)> SendAsync(HttpMethod method, string path, string principal, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        request.Headers.Add(Principals.Header, principal);
        using var response = await _app.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response.Headers.Location?.OriginalString);
    }
}
