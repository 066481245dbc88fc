using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// The REST API over the real core: stores on Azurite, the in-memory bus, real HTTP. Inventory arrives the way hosts
/// send it (InventorySnapshot through the HostReports function); commands are read back from the nodes' queues.
/// </summary>
public sealed class ControlPlaneApiTests : IAsyncLifetime
{
    private static readonly string Node1Queue = QueueNames.Commands(ControlPlaneFixture.Cluster, "node1");
    private static readonly string Node2Queue = QueueNames.Commands(ControlPlaneFixture.Cluster, "node2");
    private ControlPlaneFixture _cp = null!;

    public async Task InitializeAsync() => _cp = await ControlPlaneFixture.StartAsync();

    public async Task DisposeAsync() => await _cp.DisposeAsync();

    [Fact]
    public async Task Inventory_reported_by_hosts_is_listed_with_gpus_partitions_vms_and_age()
    {
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1", vmOneHolds: true), ControlPlaneFixture.Node("node2"));

        var (listStatus, list, _) = await _cp.SendAsync(HttpMethod.Get, "/api/clusters");
        var (status, inventory, _) = await _cp.SendAsync(HttpMethod.Get, "/api/clusters/cl1/inventory");

        Assert.Equal(200, listStatus);
        var cluster = Assert.Single(list!["clusters"]!.AsArray());
        Assert.Equal("cl1", cluster!["cluster"]!.GetValue<string>());
        Assert.Equal(2, cluster["nodes"]!.GetValue<int>());
        Assert.Equal(7, cluster["freePartitions"]!.GetValue<int>());
        Assert.Equal(200, status);
        Assert.InRange(inventory!["inventoryAgeSeconds"]!.GetValue<long>(), 0, 60);
        Assert.Equal(8, inventory["totalPartitions"]!.GetValue<int>());
        var node1 = inventory["nodes"]![0]!;
        Assert.Equal("node1", node1["node"]!.GetValue<string>());
        var gpu = node1["gpus"]![0]!;
        Assert.Equal("Partitioned", gpu["assignedStatus"]!.GetValue<string>());
        Assert.Equal(3, gpu["freePartitions"]!.GetValue<int>());
        Assert.Equal("vm-one", gpu["partitions"]![0]!["vmName"]!.GetValue<string>());
        var vmOne = node1["vms"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == "vm-one")!;
        Assert.Equal(ControlPlaneFixture.GpuPath, vmOne["partition"]!["gpuInstancePath"]!.GetValue<string>());
        Assert.Equal("Save", vmOne["offlineAction"]!.GetValue<string>());
        var vmTwo = node1["vms"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == "vm-two")!;
        Assert.Null(vmTwo["partition"]);
    }

    [Fact]
    public async Task A_cluster_that_never_reported_is_404_unknown_cluster()
    {
        var (status, body, _) = await _cp.SendAsync(HttpMethod.Get, "/api/clusters/cl9/inventory");

        AssertProblem(404, RequestCodes.UnknownCluster, status, body);
    }

    [Fact]
    public async Task An_assignment_is_accepted_sent_to_the_nodes_queue_and_succeeds_when_the_host_reports_its_result()
    {
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1"));

        var (status, accepted, response) = await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", """{"cluster":"cl1","vm":"vm-two","action":"assign"}""");

        Assert.Equal(202, status);
        var id = accepted!["id"]!.GetValue<string>();
        Assert.Equal($"/api/partition-requests/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal("assign", accepted["action"]!.GetValue<string>());
        Assert.Equal("node1", accepted["node"]!.GetValue<string>());
        Assert.Equal("Accepted", accepted["status"]!.GetValue<string>());
        Assert.Equal("alice@contoso.com", accepted["requestedBy"]!.GetValue<string>());
        var command = Assert.Single(await _cp.CommandsAsync(Node1Queue, atLeast: 1));
        var assign = Assert.IsType<AssignPartition>(command.Body);
        Assert.Equal("vm-two", assign.VmName);
        Assert.Equal(ControlPlaneFixture.VmTwoId, assign.VmId);
        Assert.Equal(id, command.Envelope.CorrelationId);
        Assert.Equal("Dispatched", await StatusOnceSettledAsync(id, "Accepted"));

        var now = DateTimeOffset.UtcNow;
        await _cp.ReportAsync(
            new CommandResult(command.Envelope.MessageId, command.Envelope.MessageType, CommandOutcome.Succeeded, [new StepRecord("ensure-adapter", StepOutcome.Succeeded, now, now)], null, null, now, now),
            "node1",
            id);
        var (getStatus, done, _) = await _cp.SendAsync(HttpMethod.Get, $"/api/partition-requests/{id}");

        Assert.Equal(200, getStatus);
        Assert.Equal("Succeeded", done!["status"]!.GetValue<string>());
        Assert.Equal("ensure-adapter", done["steps"]![0]!["name"]!.GetValue<string>());
        Assert.NotNull(done["completedAt"]);
    }

    /// <summary>The request's status once it has left <paramref name="passing"/> (the relay marks it right after publishing).</summary>
    private async Task<string> StatusOnceSettledAsync(string id, string passing)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var (_, request, _) = await _cp.SendAsync(HttpMethod.Get, $"/api/partition-requests/{id}");
            var status = request!["status"]!.GetValue<string>();
            if (status != passing || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(10);
        }
    }

    [Theory]
    [InlineData("""{"cluster":"cl1","vm":"vm-nine","action":"assign"}""", 422, RequestCodes.UnknownVm)]
    [InlineData("""{"cluster":"cl9","vm":"vm-two","action":"assign"}""", 422, RequestCodes.UnknownCluster)]
    [InlineData("""{"cluster":"cl1","vm":"vm-two","action":"assign","node":"node9"}""", 422, RequestCodes.UnknownNode)]
    [InlineData("""{"cluster":"cl1","vm":"vm-two","action":"assign","gpu":"PCI\\VEN_NONE"}""", 422, RequestCodes.UnknownGpu)]
    [InlineData("""{"cluster":"cl1","vm":"vm-one","action":"assign"}""", 409, RequestCodes.VmHasPartition)]
    [InlineData("""{"cluster":"cl1","vm":"vm-two","action":"unassign"}""", 409, RequestCodes.VmHasNoPartition)]
    public async Task A_refused_submission_answers_its_status_and_code_stores_it_as_rejected_and_sends_nothing(string json, int expectedStatus, string code)
    {
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1", vmOneHolds: true));

        var (status, problem, _) = await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", json);

        AssertProblem(expectedStatus, code, status, problem);
        var (_, stored, _) = await _cp.SendAsync(HttpMethod.Get, $"/api/partition-requests/{problem!["requestId"]!.GetValue<string>()}");
        Assert.Equal("Rejected", stored!["status"]!.GetValue<string>());
        Assert.Equal(code, stored["error"]!["code"]!.GetValue<string>());
        Assert.Null(stored["commandId"]);
        Assert.Empty(await _cp.CommandsAsync(Node1Queue));
        Assert.Equal(0, await CountAsync("Accepted") + await CountAsync("Dispatched"));
    }

    [Fact]
    public async Task Partitions_reserved_by_requests_in_flight_are_not_given_twice()
    {
        await _cp.SeedAsync(WithThirdVm(ControlPlaneFixture.Node("node1", partitionCount: 2)));

        var (first, _, _) = await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", """{"cluster":"cl1","vm":"vm-one","action":"assign"}""");
        var (second, _, _) = await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", """{"cluster":"cl1","vm":"vm-two","action":"assign"}""");
        var (third, problem, _) = await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", """{"cluster":"cl1","vm":"vm-three","action":"assign"}""");

        Assert.Equal(202, first);
        Assert.Equal(202, second);
        AssertProblem(409, RequestCodes.NoFreePartition, third, problem);
        Assert.Equal(2, (await _cp.CommandsAsync(Node1Queue, atLeast: 2)).Count);
    }

    [Fact]
    public async Task Concurrent_assignments_over_http_never_give_out_more_partitions_than_the_gpu_has()
    {
        var node = ControlPlaneFixture.Node("node1", partitionCount: 4);
        node = node with { Vms = [.. Enumerable.Range(0, 10).Select(i => node.Vms[1] with { Name = $"vm-c{i}", Id = Guid.NewGuid() })] };
        await _cp.SeedAsync(node);

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", $$"""{"cluster":"cl1","vm":"vm-c{{i}}","action":"assign"}""")));

        Assert.Equal(4, answers.Count(a => a.Status == 202));
        Assert.All(answers.Where(a => a.Status != 202), a => AssertProblem(409, RequestCodes.NoFreePartition, a.Status, a.Body));
        Assert.Equal(4, (await _cp.CommandsAsync(Node1Queue, atLeast: 4)).Count);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_request_and_sends_one_command()
    {
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1"));
        const string Body = """{"cluster":"cl1","vm":"vm-two","action":"assign"}""";

        var (firstStatus, first, _) = await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", Body, idempotencyKey: "retry-7");
        var (secondStatus, second, _) = await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", Body, idempotencyKey: "retry-7");
        var (otherStatus, other, _) = await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", Body, idempotencyKey: "retry-8");

        Assert.Equal(202, firstStatus);
        Assert.Equal(202, secondStatus);
        Assert.Equal(first!["id"]!.GetValue<string>(), second!["id"]!.GetValue<string>());
        AssertProblem(409, RequestCodes.VmBusy, otherStatus, other);
        Assert.Single(await _cp.CommandsAsync(Node1Queue, atLeast: 1));
    }

    [Fact]
    public async Task A_partition_count_change_sends_one_command_per_node_and_repeats_idempotently()
    {
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1"), ControlPlaneFixture.Node("node2"));

        var (status, body, response) = await _cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", """{"partitionCount":8}""", idempotencyKey: "count-8");
        var (againStatus, again, _) = await _cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", """{"partitionCount":8}""", idempotencyKey: "count-8");

        Assert.Equal(202, status);
        Assert.Equal("/api/partition-requests?cluster=cl1", response.Headers.Location!.OriginalString);
        var requests = body!["requests"]!.AsArray();
        Assert.Equal(["node1", "node2"], requests.Select(r => r!["node"]!.GetValue<string>()).Order());
        Assert.All(requests, r => Assert.Equal("configurePartitionCount", r!["action"]!.GetValue<string>()));
        Assert.Empty(body["warnings"]!.AsArray());
        Assert.Equal(202, againStatus);
        Assert.Equal(requests.Select(r => r!["id"]!.GetValue<string>()).Order(), again!["requests"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).Order());
        var command = Assert.IsType<ConfigurePartitionCount>(Assert.Single(await _cp.CommandsAsync(Node1Queue, atLeast: 1)).Body);
        Assert.Equal(8, command.PartitionCount);
        Assert.Equal([ControlPlaneFixture.GpuPath], command.GpuInstancePaths);
        Assert.Single(await _cp.CommandsAsync(Node2Queue, atLeast: 1));
    }

    [Fact]
    public async Task Changing_part_of_the_cluster_is_accepted_with_a_partial_selection_warning()
    {
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1", gpuPath: "GPU-A"), ControlPlaneFixture.Node("node2", gpuPath: "GPU-B"));

        var (status, body, _) = await _cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", """{"partitionCount":8,"gpus":["gpu-a"]}""");

        Assert.Equal(202, status);
        Assert.Equal("node1", Assert.Single(body!["requests"]!.AsArray())!["node"]!.GetValue<string>());
        var warning = Assert.Single(body["warnings"]!.AsArray())!;
        Assert.Equal(RequestCodes.PartialSelection, warning["code"]!.GetValue<string>());
        Assert.Contains("GPU-B on node2 (4)", warning["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(await _cp.CommandsAsync(Node2Queue));
    }

    [Theory]
    [InlineData("""{"partitionCount":5}""", false, "A2", 422, RequestCodes.InvalidPartitionCount)]
    [InlineData("""{"partitionCount":8}""", true, "A2", 409, RequestCodes.PartitionsAssigned)]
    [InlineData("""{"partitionCount":8}""", false, "A16", 409, RequestCodes.ClusterHeterogeneous)]
    [InlineData("""{"partitionCount":8,"gpus":["GPU-NINE"]}""", false, "A2", 422, RequestCodes.UnknownGpu)]
    public async Task A_refused_partition_count_change_stores_and_sends_nothing_on_any_node(string json, bool vmOneHolds, string node2Model, int expectedStatus, string code)
    {
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1"), ControlPlaneFixture.Node("node2", vmOneHolds: vmOneHolds, model: node2Model));

        var (status, problem, _) = await _cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", json);

        AssertProblem(expectedStatus, code, status, problem);
        Assert.Null(problem!["requestId"]);
        var (_, list, _) = await _cp.SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1");
        Assert.Empty(list!["requests"]!.AsArray());
        Assert.Empty(await _cp.CommandsAsync(Node1Queue));
        Assert.Empty(await _cp.CommandsAsync(Node2Queue));
    }

    [Fact]
    public async Task A_partition_count_change_of_an_unknown_cluster_is_404()
    {
        var (status, problem, _) = await _cp.SendAsync(HttpMethod.Put, "/api/clusters/cl9/partition-count", """{"partitionCount":8}""");

        AssertProblem(404, RequestCodes.UnknownCluster, status, problem);
    }

    [Fact]
    public async Task Requests_are_listed_in_pages_and_filtered_by_status_and_vm()
    {
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1"));
        await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", """{"cluster":"cl1","vm":"vm-two","action":"assign"}""");
        await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", """{"cluster":"cl1","vm":"vm-nine","action":"assign"}""");
        await _cp.SendAsync(HttpMethod.Post, "/api/partition-requests", """{"cluster":"cl1","vm":"vm-one","action":"unassign"}""");

        var (_, first, _) = await _cp.SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1&pageSize=2");
        var token = first!["continuationToken"]!.GetValue<string>();
        var (_, second, _) = await _cp.SendAsync(HttpMethod.Get, $"/api/partition-requests?cluster=cl1&pageSize=2&continuationToken={Uri.EscapeDataString(token)}");
        var (_, rejected, _) = await _cp.SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1&status=rejected");
        var (_, byVm, _) = await _cp.SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1&vm=vm-two");
        var (badStatus, bad, _) = await _cp.SendAsync(HttpMethod.Get, "/api/partition-requests?status=Sleeping");
        var (badTokenStatus, badToken, _) = await _cp.SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1&continuationToken=not*a*token");

        Assert.True(second!["requests"] is not null, second.ToJsonString());
        var ids = first["requests"]!.AsArray().Concat(second!["requests"]!.AsArray()).Select(r => r!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(2, rejected!["requests"]!.AsArray().Count);
        Assert.Equal("vm-two", Assert.Single(byVm!["requests"]!.AsArray())!["vm"]!.GetValue<string>());
        AssertProblem(400, "invalid-query", badStatus, bad);
        AssertProblem(400, "invalid-query", badTokenStatus, badToken);
    }

    [Fact]
    public async Task A_policy_round_trips_and_an_invalid_one_is_400_listing_its_problems_and_changes_nothing()
    {
        const string Policy = """{"rules":[{"name":"gpu-vms","namePattern":"vm-gpu-*","offlineAction":"ForceShutdown"}],"remediation":{"fixOfflineAction":true,"maxRequestsPerScan":3},"staleInventoryAfterMinutes":45}""";

        var (defaultStatus, initial, _) = await _cp.SendAsync(HttpMethod.Get, "/api/clusters/cl1/policy");
        var (putStatus, _, _) = await _cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/policy", Policy);
        var (badStatus, problem, _) = await _cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/policy", """{"rules":[{"name":"all"},{"name":"x","namePattern":"a"}],"staleInventoryAfterMinutes":0}""");
        var (readerPut, _, _) = await _cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/policy", Policy, principal: Principals.Reader);
        var (_, stored, _) = await _cp.SendAsync(HttpMethod.Get, "/api/clusters/cl1/policy");

        Assert.Equal(200, defaultStatus);
        Assert.Empty(initial!["rules"]!.AsArray());
        Assert.Equal(200, putStatus);
        AssertProblem(400, "invalid-policy", badStatus, problem);
        var problems = problem!["problems"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Contains(problems, p => p.StartsWith("rules[0]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("staleInventoryAfterMinutes", StringComparison.Ordinal));
        Assert.Equal(403, readerPut);
        Assert.Equal("vm-gpu-*", stored!["rules"]![0]!["namePattern"]!.GetValue<string>());
        Assert.Equal(45, stored["staleInventoryAfterMinutes"]!.GetValue<int>());
        Assert.Equal(3, stored["remediation"]!["maxRequestsPerScan"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_compliance_scan_answers_its_report_remediates_offline_action_and_is_kept_as_latest()
    {
        // vm-one holds a partition but its cluster resource would Save on failover: the default policy fixes that.
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1", vmOneHolds: true));

        var (status, report, _) = await _cp.SendAsync(HttpMethod.Post, "/api/clusters/cl1/compliance/scan");
        var (getStatus, compliance, _) = await _cp.SendAsync(HttpMethod.Get, "/api/clusters/cl1/compliance");
        var (unknownStatus, unknown, _) = await _cp.SendAsync(HttpMethod.Post, "/api/clusters/cl9/compliance/scan");

        Assert.Equal(200, status);
        Assert.False(report!["compliant"]!.GetValue<bool>());
        var finding = report["findings"]!.AsArray().Single(f => f!["rule"]!.GetValue<string>() == "offline-action-not-forced-shutdown")!;
        Assert.Equal("vm/vm-one", finding["resource"]!.GetValue<string>());
        Assert.Equal("SetOfflineAction", finding["remediation"]!["kind"]!.GetValue<string>());
        Assert.NotNull(finding["remediationRequestId"]);
        var command = Assert.IsType<SetOfflineAction>(Assert.Single(await _cp.CommandsAsync(Node1Queue, atLeast: 1)).Body);
        Assert.Equal("vm-one", command.VmName);
        Assert.Equal(200, getStatus);
        Assert.Equal(report["id"]!.GetValue<string>(), compliance!["latest"]!["id"]!.GetValue<string>());
        Assert.Single(compliance["history"]!.AsArray());
        AssertProblem(404, RequestCodes.UnknownCluster, unknownStatus, unknown);
    }

    [Fact]
    public async Task A_compliance_scan_names_the_gpu_vms_a_node_loss_would_strand_and_reports_the_policy_s_reserve_breached()
    {
        // node1's only partition is held by vm-one; node2 has no GPU: if node1 fails, vm-one can't restart anywhere.
        var node2 = ControlPlaneFixture.Node("node2") with { Gpus = [], Vms = [] };
        await _cp.SeedAsync(ControlPlaneFixture.Node("node1", partitionCount: 1, vmOneHolds: true), node2);
        var (putStatus, _, _) = await _cp.SendAsync(HttpMethod.Put, "/api/clusters/cl1/policy", """{"rules":[],"reserve":"n+1"}""");

        var (status, report, _) = await _cp.SendAsync(HttpMethod.Post, "/api/clusters/cl1/compliance/scan");
        var (_, compliance, _) = await _cp.SendAsync(HttpMethod.Get, "/api/clusters/cl1/compliance");

        Assert.Equal(200, putStatus);
        Assert.Equal(200, status);
        var findings = report!["findings"]!.AsArray();
        var shortfall = findings.Single(f => f!["rule"]!.GetValue<string>() == "failover-capacity-short")!;
        Assert.Equal(("node/node1", "Warning"), (shortfall["resource"]!.GetValue<string>(), shortfall["severity"]!.GetValue<string>()));
        Assert.Contains("(vm-one)", shortfall["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var breach = findings.Single(f => f!["rule"]!.GetValue<string>() == "reserve-breached")!;
        Assert.Equal(("cluster", "Error"), (breach["resource"]!.GetValue<string>(), breach["severity"]!.GetValue<string>()));
        Assert.Contains("losing node node1 would need 1 free partition(s) on the other nodes for its 1 GPU VM(s), and 0 are free there", breach["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("GPU VMs of node1: vm-one.", breach["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(report["compliant"]!.GetValue<bool>());
        Assert.Contains(compliance!["latest"]!["findings"]!.AsArray(), f => f!["rule"]!.GetValue<string>() == "reserve-breached");
    }

    private static NodeInventory WithThirdVm(NodeInventory node)
        => node with { Vms = [.. node.Vms, node.Vms[1] with { Name = "vm-three", Id = Guid.Parse("33333333-3333-4333-8333-333333333333") }] };

    private async Task<int> CountAsync(string status)
    {
        var (_, list, _) = await _cp.SendAsync(HttpMethod.Get, $"/api/partition-requests?status={status}");
        return list!["requests"]!.AsArray().Count;
    }

    private static void AssertProblem(int expectedStatus, string code, int status, JsonNode? body)
    {
        Assert.True(expectedStatus == status, $"Expected {expectedStatus}, got {status}: {body?.ToJsonString()}");
        Assert.Equal(code, body!["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["detail"]!.GetValue<string>()));
    }
}
