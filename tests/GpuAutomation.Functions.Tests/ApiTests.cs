using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// The REST API's front door over real HTTP and the real core (in-memory stores, a seeded two-node cluster "cl1"):
/// authorization, strict input, problem+json codes. "Reaches nothing" is checked on the stores: no request stored.
/// </summary>
public sealed class ApiTests : IAsyncLifetime
{
    private RunningApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RunningApp.StartAsync(HostingMode.FunctionsHost);
        var inventory = _app.Services.GetRequiredService<InventoryStore>();
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1"), default);
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node2", _ => ControlPlaneFixture.Node("node2"), default);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<IReadOnlyList<PartitionRequest>> StoredRequestsAsync()
        => (await _app.Services.GetRequiredService<PartitionRequestService>().ListAsync(new RequestListQuery(ControlPlaneFixture.Cluster, PageSize: 200), default)).Requests;

    private async Task AssertNothingStoredAsync() => Assert.Empty(await StoredRequestsAsync());

    [Fact]
    public async Task Health_answers_anonymously_with_the_hosting_mode()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/health", principal: null);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", body!["status"]!.GetValue<string>());
        Assert.Equal("FunctionsHost", body["mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_request_without_a_principal_is_401_with_a_code()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/clusters", principal: null);

        AssertProblem(HttpStatusCode.Unauthorized, ApiErrorCodes.Unauthenticated, status, body);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_principal_header_that_is_not_base64_json_is_401()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/clusters", principal: "not*base64");

        AssertProblem(HttpStatusCode.Unauthorized, ApiErrorCodes.Unauthenticated, status, body);
        Assert.Contains("not base64", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reader_can_read_but_not_change()
    {
        var (readStatus, _) = await SendAsync(HttpMethod.Get, "/api/clusters", Principals.Reader);
        var (changeStatus, changeBody) = await SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", Principals.Reader, "{\"partitionCount\":4}");

        Assert.Equal(HttpStatusCode.OK, readStatus);
        AssertProblem(HttpStatusCode.Forbidden, ApiErrorCodes.Forbidden, changeStatus, changeBody);
        Assert.Contains("GpuAutomation.Operator", changeBody!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_caller_without_an_app_role_is_403_even_for_reads()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/clusters/cl1/inventory", Principals.WithRoles());

        AssertProblem(HttpStatusCode.Forbidden, ApiErrorCodes.Forbidden, status, body);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_operator_submits_a_partition_request_with_an_idempotency_key()
    {
        var (status, _) = await SendAsync(
            HttpMethod.Post,
            "/api/partition-requests",
            Principals.Operator,
            "{\"cluster\":\"cl1\",\"vm\":\"vm-one\",\"action\":\"assign\",\"node\":\"node1\"}",
            ("Idempotency-Key", "key-123"));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var stored = Assert.Single(await StoredRequestsAsync());
        Assert.Equal(("node1", "vm-one", PartitionAction.Assign, "api:0b1c:key-123"), (stored.Node, stored.VmName, stored.Action, stored.IdempotencyKey));
    }

    [Fact]
    public async Task Failover_headroom_says_per_node_whether_its_gpu_vms_could_restart_on_the_others()
    {
        var inventory = _app.Services.GetRequiredService<InventoryStore>();
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1", partitionCount: 1, vmOneHolds: true, takenAt: DateTimeOffset.UtcNow.AddSeconds(1)), default);
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node2", _ => ControlPlaneFixture.Node("node2", partitionCount: 1, vmOneHolds: true, takenAt: DateTimeOffset.UtcNow.AddSeconds(1)), default);

        var (status, body) = await SendAsync(HttpMethod.Get, "/api/clusters/cl1/headroom", Principals.Reader);
        var (unknown, unknownBody) = await SendAsync(HttpMethod.Get, "/api/clusters/nowhere/headroom", Principals.Reader);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body!["survivesAnyNodeLoss"]!.GetValue<bool>());
        var node1 = body["nodes"]!.AsArray().Single(n => n!["node"]!.GetValue<string>() == "node1")!;
        Assert.Equal(["vm-one"], node1["gpuVms"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Equal((0, 1), (node1["freeElsewhere"]!.GetValue<int>(), node1["short"]!.GetValue<int>()));
        AssertProblem(HttpStatusCode.NotFound, RequestCodes.UnknownCluster, unknown, unknownBody);
    }

    [Fact]
    public async Task Failover_headroom_names_where_each_nodes_gpu_vms_could_restart_and_whether_the_policy_reserve_holds()
    {
        // node1: 4 partitions, vm-one holds one (3 free); node2: 4 free and no GPU VM.
        var inventory = _app.Services.GetRequiredService<InventoryStore>();
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1", vmOneHolds: true, takenAt: DateTimeOffset.UtcNow.AddSeconds(1)), default);

        var (status, body) = await SendAsync(HttpMethod.Get, "/api/clusters/cl1/headroom", Principals.Reader);
        var (fixedStatus, _) = await SendAsync(HttpMethod.Put, "/api/clusters/cl1/policy", Principals.Operator, """{"rules":[],"reserve":"fixed","reservePartitions":8,"onReserveBreach":"warn"}""");
        var (_, fixedBody) = await SendAsync(HttpMethod.Get, "/api/clusters/cl1/headroom", Principals.Reader);
        var (nPlusOneStatus, _) = await SendAsync(HttpMethod.Put, "/api/clusters/cl1/policy", Principals.Operator, """{"rules":[],"reserve":"n+1"}""");
        var (_, nPlusOneBody) = await SendAsync(HttpMethod.Get, "/api/clusters/cl1/headroom", Principals.Reader);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (status, fixedStatus, nPlusOneStatus));
        static JsonNode Loss(JsonNode view, string node) => view["nodes"]!.AsArray().Single(n => n!["node"]!.GetValue<string>() == node)!;
        static (string, int)[] Targets(JsonNode loss) => [.. loss["restartTargets"]!.AsArray().Select(t => (t!["node"]!.GetValue<string>(), t["freePartitions"]!.GetValue<int>()))];
        Assert.Equal([("node2", 4)], Targets(Loss(body!, "node1")));
        Assert.Equal([("node1", 3)], Targets(Loss(body!, "node2")));
        Assert.Equal(4, Loss(body!, "node1")["freeElsewhere"]!.GetValue<int>());

        var none = body!["reserve"]!;
        Assert.Equal(("none", true, 7), (none["mode"]!.GetValue<string>(), none["holds"]!.GetValue<bool>(), none["freePartitions"]!.GetValue<int>()));
        var kept = fixedBody!["reserve"]!;
        Assert.Equal(("fixed", 8, "warn", false), (kept["mode"]!.GetValue<string>(), kept["partitions"]!.GetValue<int>(), kept["onBreach"]!.GetValue<string>(), kept["holds"]!.GetValue<bool>()));
        Assert.Equal("7 partition(s) free across the cluster; the policy keeps 8 free: below the reserve.", kept["detail"]!.GetValue<string>());
        var nPlusOne = nPlusOneBody!["reserve"]!;
        Assert.Equal(("n+1", true), (nPlusOne["mode"]!.GetValue<string>(), nPlusOne["holds"]!.GetValue<bool>()));
        Assert.Equal("Losing node node1 would need 1 free partition(s) on the other nodes for its GPU VM(s); 4 are free there.", nPlusOne["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Queued_requests_listed_carry_their_position_in_the_clusters_queue()
    {
        // Both nodes full (one partition each, vm-one holds it): assigns of vm-two wait in the queue.
        var inventory = _app.Services.GetRequiredService<InventoryStore>();
        foreach (var node in new[] { "node1", "node2" })
        {
            await inventory.ChangeAsync(ControlPlaneFixture.Cluster, node, _ => ControlPlaneFixture.Node(node, partitionCount: 1, vmOneHolds: true, takenAt: DateTimeOffset.UtcNow.AddSeconds(1)), default);
        }

        var (lowStatus, low) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, """{"cluster":"cl1","vm":"vm-two","action":"assign","node":"node1","queue":{"maxWaitMinutes":30,"priority":1}}""");
        var (highStatus, high) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, """{"cluster":"cl1","vm":"vm-two","action":"assign","node":"node2","queue":{"maxWaitMinutes":30,"priority":5}}""");
        var (listStatus, list) = await SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1&status=Queued", Principals.Reader);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.OK), (lowStatus, highStatus, listStatus));
        Assert.Equal(("Queued", "Queued"), (low!["status"]!.GetValue<string>(), high!["status"]!.GetValue<string>()));
        var listed = list!["requests"]!.AsArray().ToDictionary(r => r!["id"]!.GetValue<string>(), r => (r!["queuePosition"]!.GetValue<int>(), r["queuePriority"]!.GetValue<int>()));
        Assert.Equal((1, 5), listed[high["id"]!.GetValue<string>()]);
        Assert.Equal((2, 1), listed[low["id"]!.GetValue<string>()]);
    }

    [Theory]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":\"vm-one\",\"vm\":\"vm-two\",\"action\":\"assign\"}")]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":\"vm-one\",\"VM\":\"vm-two\",\"action\":\"assign\"}")]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":\"vm-one\",\"action\":\"unassign\",\"Action\":\"assign\"}")]
    public async Task A_member_named_twice_or_in_two_cases_is_400_and_acts_on_nothing(string json)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, json);

        AssertProblem(HttpStatusCode.BadRequest, ApiErrorCodes.DuplicateMember, status, body);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task Idempotency_keys_belong_to_their_caller()
    {
        var bob = Principals.For("bob@contoso.com", "9f9f", "GpuAutomation.Operator");
        var (alices, aliceBody) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, "{\"cluster\":\"cl1\",\"vm\":\"vm-one\",\"action\":\"assign\",\"node\":\"node1\"}", ("Idempotency-Key", "retry-1"));
        var (bobs, bobBody) = await SendAsync(HttpMethod.Post, "/api/partition-requests", bob, "{\"cluster\":\"cl1\",\"vm\":\"vm-two\",\"action\":\"assign\",\"node\":\"node1\"}", ("Idempotency-Key", "retry-1"));

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (alices, bobs));
        Assert.NotEqual(aliceBody!["id"]!.GetValue<string>(), bobBody!["id"]!.GetValue<string>());
        Assert.Equal(["vm-one", "vm-two"], (await StoredRequestsAsync()).Select(r => r.VmName).Order());
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_a_different_request_is_422_and_changes_nothing()
    {
        var (first, firstBody) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, "{\"cluster\":\"cl1\",\"vm\":\"vm-one\",\"action\":\"assign\",\"node\":\"node1\"}", ("Idempotency-Key", "k-1"));
        var (again, againBody) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, "{\"cluster\":\"cl1\",\"vm\":\"VM-ONE\",\"action\":\"assign\",\"node\":\"node1\"}", ("Idempotency-Key", "k-1"));
        var (other, otherBody) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, "{\"cluster\":\"cl1\",\"vm\":\"vm-two\",\"action\":\"assign\",\"node\":\"node1\"}", ("Idempotency-Key", "k-1"));

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first, again));
        Assert.Equal(firstBody!["id"]!.GetValue<string>(), againBody!["id"]!.GetValue<string>());
        AssertProblem(HttpStatusCode.UnprocessableEntity, RequestCodes.IdempotencyKeyReused, other, otherBody);
        Assert.Equal("vm-one", Assert.Single(await StoredRequestsAsync()).VmName);
    }

    [Fact]
    public async Task A_cluster_change_key_reused_for_another_partition_count_is_422()
    {
        var (first, _) = await SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", Principals.Operator, "{\"partitionCount\":2}", ("Idempotency-Key", "pc-1"));
        var (other, otherBody) = await SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", Principals.Operator, "{\"partitionCount\":8}", ("Idempotency-Key", "pc-1"));

        Assert.Equal(HttpStatusCode.Accepted, first);
        AssertProblem(HttpStatusCode.UnprocessableEntity, RequestCodes.IdempotencyKeyReused, other, otherBody);
        Assert.All(await StoredRequestsAsync(), r => Assert.Equal(2, r.PartitionCount));
    }

    [Fact]
    public async Task A_refusal_for_lack_of_capacity_does_not_pin_its_idempotency_key()
    {
        var inventory = _app.Services.GetRequiredService<InventoryStore>();
        var later = DateTimeOffset.UtcNow.AddSeconds(1);
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1", partitionCount: 1, vmOneHolds: true, takenAt: later), default);
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node2", _ => ControlPlaneFixture.Node("node2", partitionCount: 1, takenAt: later), default);
        const string Body = "{\"cluster\":\"cl1\",\"vm\":\"vm-two\",\"action\":\"assign\",\"node\":\"node1\"}";

        var (full, fullBody) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, Body, ("Idempotency-Key", "cap-1"));
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1", partitionCount: 1, takenAt: later.AddSeconds(1)), default);
        var (freed, freedBody) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, Body, ("Idempotency-Key", "cap-1"));

        AssertProblem(HttpStatusCode.Conflict, RequestCodes.NoFreePartition, full, fullBody);
        Assert.Equal(HttpStatusCode.Accepted, freed);
        Assert.NotEqual(fullBody!["requestId"]!.GetValue<string>(), freedBody!["id"]!.GetValue<string>());
        Assert.Equal([RequestStatus.Accepted, RequestStatus.Rejected], (await StoredRequestsAsync()).Select(r => r.Status == RequestStatus.Dispatched ? RequestStatus.Accepted : r.Status).Order());
    }

    [Fact]
    public async Task An_operator_changes_the_partition_count_of_a_subset_of_gpus()
    {
        var gpus = new JsonArray(ControlPlaneFixture.GpuPath).ToJsonString();
        var (status, body) = await SendAsync(HttpMethod.Put, "/api/clusters/cl1/partition-count", Principals.Operator, $"{{\"partitionCount\":2,\"gpus\":{gpus}}}");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(["node1", "node2"], body!["requests"]!.AsArray().Select(r => r!["node"]!.GetValue<string>()).Order());
        Assert.All(await StoredRequestsAsync(), r => Assert.Equal((PartitionAction.ConfigurePartitionCount, 2), (r.Action, r.PartitionCount)));
    }

    [Fact]
    public async Task Listing_requests_filters_by_status_and_refuses_a_status_that_does_not_exist()
    {
        // A refused submission is stored Rejected (a status nothing else moves it out of).
        await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, "{\"cluster\":\"cl1\",\"vm\":\"vm-nine\",\"action\":\"assign\",\"node\":\"node1\"}");

        var (accepted, acceptedBody) = await SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1&status=Rejected&vm=vm-nine", Principals.Reader);
        var (failed, failedBody) = await SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1&status=Failed", Principals.Reader);
        var (unknown, unknownBody) = await SendAsync(HttpMethod.Get, "/api/partition-requests?cluster=cl1&status=Completed", Principals.Reader);

        Assert.Equal(HttpStatusCode.OK, accepted);
        Assert.Single(acceptedBody!["requests"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, failed);
        Assert.Empty(failedBody!["requests"]!.AsArray());
        AssertProblem(HttpStatusCode.BadRequest, ApiErrorCodes.InvalidQuery, unknown, unknownBody);
    }

    [Theory]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":\"vm1\",\"action\":\"assign\"", ApiErrorCodes.MalformedJson)]
    [InlineData("[1,2]", ApiErrorCodes.MalformedJson)]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":\"vm1\",\"action\":\"assign\",\"priority\":1}", ApiErrorCodes.UnknownField)]
    [InlineData("{\"cluster\":\"cl1\",\"action\":\"assign\"}", ApiErrorCodes.MissingField)]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":\"vm1\",\"action\":1}", ApiErrorCodes.InvalidField)]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":\"vm1\",\"action\":\"reboot\"}", ApiErrorCodes.InvalidField)]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":null,\"action\":\"assign\"}", ApiErrorCodes.InvalidField)]
    [InlineData("{\"cluster\":\"cl_1\",\"vm\":\"vm1\",\"action\":\"assign\"}", ApiErrorCodes.InvalidName)]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":\"vm\\u0007\",\"action\":\"assign\"}", ApiErrorCodes.InvalidName)]
    [InlineData("{\"cluster\":\"cl1\",\"vm\":\"vm1\",\"action\":\"assign\",\"node\":\"-node\"}", ApiErrorCodes.InvalidName)]
    public async Task A_bad_partition_request_body_is_400_with_a_code_and_reaches_nothing(string json, string code)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "/api/partition-requests", Principals.Operator, json);

        AssertProblem(HttpStatusCode.BadRequest, code, status, body);
        var detail = body!["detail"]!.GetValue<string>();
        Assert.DoesNotContain("GpuAutomation.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", detail, StringComparison.Ordinal);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        var padding = new string('x', StrictJsonBody.MaxBytes);
        var (status, body) = await SendAsync(HttpMethod.Put, "/api/clusters/cl1/policy", Principals.Operator, $"{{\"note\":\"{padding}\"}}");

        AssertProblem(HttpStatusCode.RequestEntityTooLarge, ApiErrorCodes.BodyTooLarge, status, body);
        Assert.Contains($"limit is {StrictJsonBody.MaxBytes}", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/partition-requests", UriKind.Relative))
        {
            Content = new StringContent("cluster=cl1", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Add(Principals.Header, Principals.Operator);
        using var response = await _app.Client.SendAsync(request);

        AssertProblem(HttpStatusCode.UnsupportedMediaType, ApiErrorCodes.UnsupportedMediaType, response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("PUT", "/api/clusters/cl1/partition-count", "{\"partitionCount\":0}", ApiErrorCodes.InvalidField)]
    [InlineData("PUT", "/api/clusters/cl1/partition-count", "{\"partitionCount\":4,\"gpus\":[]}", ApiErrorCodes.InvalidField)]
    [InlineData("PUT", "/api/clusters/cl1/partition-count", "{\"partitionCount\":4,\"gpus\":[\"a\",\"A\"]}", ApiErrorCodes.InvalidField)]
    [InlineData("PUT", "/api/clusters/cl1/partition-count", "{\"partitionCount\":\"4\"}", ApiErrorCodes.InvalidField)]
    [InlineData("PUT", "/api/clusters/bad.name/partition-count", "{\"partitionCount\":4}", ApiErrorCodes.InvalidName)]
    [InlineData("GET", "/api/clusters/bad.name/inventory", null, ApiErrorCodes.InvalidName)]
    [InlineData("GET", "/api/clusters/bad.name/compliance", null, ApiErrorCodes.InvalidName)]
    [InlineData("POST", "/api/clusters/bad.name/compliance/scan", null, ApiErrorCodes.InvalidName)]
    [InlineData("PUT", "/api/clusters/cl1/policy", "\"text\"", ApiErrorCodes.MalformedJson)]
    [InlineData("GET", "/api/partition-requests?pageSize=0", null, ApiErrorCodes.InvalidQuery)]
    [InlineData("GET", "/api/partition-requests?cluster=cl1&sort=asc", null, ApiErrorCodes.InvalidQuery)]
    [InlineData("GET", "/api/partition-requests?cluster=cl1&cluster=cl2", null, ApiErrorCodes.InvalidQuery)]
    [InlineData("GET", "/api/partition-requests?cluster=-x", null, ApiErrorCodes.InvalidName)]
    public async Task Bad_input_anywhere_is_a_4xx_with_a_code_and_reaches_nothing(string method, string path, string? json, string code)
    {
        var (status, body) = await SendAsync(new HttpMethod(method), path, Principals.Operator, json);

        AssertProblem(HttpStatusCode.BadRequest, code, status, body);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_idempotency_key_with_spaces_is_refused()
    {
        var (status, body) = await SendAsync(
            HttpMethod.Post,
            "/api/partition-requests",
            Principals.Operator,
            "{\"cluster\":\"cl1\",\"vm\":\"vm1\",\"action\":\"unassign\"}",
            ("Idempotency-Key", "two words"));

        AssertProblem(HttpStatusCode.BadRequest, ApiErrorCodes.InvalidHeader, status, body);
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task An_unknown_api_route_is_a_404_problem_with_a_code()
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "/api/clusters/cl1/gpus", Principals.Reader);

        AssertProblem(HttpStatusCode.NotFound, ApiErrorCodes.NotFound, status, body);
    }

    private static void AssertProblem(HttpStatusCode expectedStatus, string expectedCode, HttpStatusCode status, JsonNode? body)
    {
        Assert.Equal(expectedStatus, status);
        Assert.NotNull(body);
        Assert.Equal(expectedCode, body["code"]?.GetValue<string>());
        Assert.Equal((int)expectedStatus, body["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(body["detail"]?.GetValue<string>()));
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(
        HttpMethod method,
        string path,
        string? principal,
        string? json = null,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (principal is not null)
        {
            request.Headers.Add(Principals.Header, principal);
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        using var response = await _app.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
