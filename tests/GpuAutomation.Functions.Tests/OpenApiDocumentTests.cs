using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// The OpenAPI document is the API's contract: every route lists the statuses the real app answers (over the real
/// core), each success with its schema and each failure as problem+json. Probes drive every route to every status it
/// documents; a status answered but not documented, or documented but never answered, fails.
/// </summary>
public sealed class OpenApiDocumentTests : IAsyncLifetime
{
    /// <summary>Documented statuses no deterministic probe reaches, each with why it is documented anyway.</summary>
    private static readonly HashSet<(string Operation, int Status)> Unprovoked =
    [
        // Five concurrent writers in a row beat this PUT: real under contention, not reproducible on demand.
        ("PUT /api/clusters/{cluster}/policy", 409),
    ];

    private RunningApp _app = null!;
    private readonly Dictionary<string, HashSet<int>> _answered = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        // node1 of cl1 is registered by configuration, as a deployment does; others through the API.
        _app = await RunningApp.StartAsync(HostingMode.FunctionsHost, settings: new Dictionary<string, string>
        {
            ["GpuAutomation:Nodes:cl1:node1:PrincipalId"] = "0c8a3a4e-5f0b-4d5e-9d42-7a1d2b3c4d5e",
        });
        var inventory = _app.Services.GetRequiredService<InventoryStore>();
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node1", _ => ControlPlaneFixture.Node("node1"), default);
        await inventory.ChangeAsync(ControlPlaneFixture.Cluster, "node2", _ => ControlPlaneFixture.Node("node2"), default);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Every_route_documents_exactly_the_statuses_the_app_answers_with_schemas()
    {
        var document = JsonNode.Parse(await _app.Client.GetStringAsync(new Uri(HealthApi.OpenApiPath, UriKind.Relative)))!;
        var documented = Operations(document);
        await ProbeEverythingAsync();

        var problems = new List<string>();
        foreach (var (operation, statuses) in _answered)
        {
            if (!documented.TryGetValue(operation, out var listed))
            {
                problems.Add($"{operation} answers but is not in the document");
                continue;
            }

            problems.AddRange(statuses.Where(s => !listed.ContainsKey(s)).Select(s => $"{operation} answered {s}, which the document doesn't list"));
        }

        foreach (var (operation, listed) in documented)
        {
            var answered = _answered.GetValueOrDefault(operation) ?? [];
            problems.AddRange(listed.Keys.Where(s => !answered.Contains(s) && !Unprovoked.Contains((operation, s))).Select(s => $"{operation} documents {s}, which no probe got"));
            foreach (var (status, response) in listed)
            {
                var content = response?["content"]?.AsObject();
                if (status >= 400 && content?.ContainsKey("application/problem+json") != true)
                {
                    problems.Add($"{operation} {status} is not documented as application/problem+json");
                }

                if (status is 200 or 202 && content?["application/json"]?["schema"] is null)
                {
                    problems.Add($"{operation} {status} has no application/json schema");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Theory]
    [InlineData("/api/partition-requests", "post")]
    [InlineData("/api/clusters/{cluster}/partition-count", "put")]
    public async Task Changes_document_the_idempotency_key_header(string path, string method)
    {
        var document = JsonNode.Parse(await _app.Client.GetStringAsync(new Uri(HealthApi.OpenApiPath, UriKind.Relative)))!;

        var parameters = document["paths"]![path]![method]!["parameters"]!.AsArray();

        Assert.Contains(parameters, p => p!["name"]!.GetValue<string>() == IdempotencyKey.HeaderName && p["in"]!.GetValue<string>() == "header");
    }

    private async Task ProbeEverythingAsync()
    {
        var reader = Principals.Reader;
        var op = Principals.Operator;
        var noRole = Principals.WithRoles();
        var huge = $"{{\"x\":\"{new string('x', StrictJsonBody.MaxBytes)}\"}}";

        await ProbeAsync("GET /api/health", "GET", "/api/health", null);
        foreach (var (operation, method, path) in new[]
        {
            ("GET /api/clusters", "GET", "/api/clusters"),
            ("GET /api/clusters/{cluster}/inventory", "GET", "/api/clusters/cl1/inventory"),
            ("GET /api/clusters/{cluster}/headroom", "GET", "/api/clusters/cl1/headroom"),
            ("PUT /api/clusters/{cluster}/partition-count", "PUT", "/api/clusters/cl1/partition-count"),
            ("POST /api/clusters/{cluster}/partition-count/plans", "POST", "/api/clusters/cl1/partition-count/plans"),
            ("GET /api/clusters/{cluster}/partition-count/plans/{planId}", "GET", "/api/clusters/cl1/partition-count/plans/x1"),
            ("POST /api/clusters/{cluster}/partition-count/plans/{planId}/apply", "POST", "/api/clusters/cl1/partition-count/plans/x1/apply"),
            ("POST /api/clusters/{cluster}/partition-count/plans/{planId}/pause", "POST", "/api/clusters/cl1/partition-count/plans/x1/pause"),
            ("POST /api/clusters/{cluster}/partition-count/plans/{planId}/resume", "POST", "/api/clusters/cl1/partition-count/plans/x1/resume"),
            ("POST /api/clusters/{cluster}/partition-count/plans/{planId}/cancel", "POST", "/api/clusters/cl1/partition-count/plans/x1/cancel"),
            ("POST /api/partition-requests", "POST", "/api/partition-requests"),
            ("GET /api/partition-requests", "GET", "/api/partition-requests"),
            ("GET /api/partition-requests/{id}", "GET", "/api/partition-requests/x1"),
            ("GET /api/clusters/{cluster}/policy", "GET", "/api/clusters/cl1/policy"),
            ("PUT /api/clusters/{cluster}/policy", "PUT", "/api/clusters/cl1/policy"),
            ("GET /api/clusters/{cluster}/compliance", "GET", "/api/clusters/cl1/compliance"),
            ("POST /api/clusters/{cluster}/compliance/scan", "POST", "/api/clusters/cl1/compliance/scan"),
            ("GET /api/clusters/{cluster}/nodes", "GET", "/api/clusters/cl1/nodes"),
            ("GET /api/clusters/{cluster}/nodes/{node}", "GET", "/api/clusters/cl1/nodes/node1"),
            ("PUT /api/clusters/{cluster}/nodes/{node}", "PUT", "/api/clusters/cl1/nodes/node9"),
            ("DELETE /api/clusters/{cluster}/nodes/{node}", "DELETE", "/api/clusters/cl1/nodes/node9"),
            ("DELETE /api/clusters/{cluster}/nodes/{node}/inventory", "DELETE", "/api/clusters/cl1/nodes/node2/inventory"),
            ("GET /api/rejected-messages", "GET", "/api/rejected-messages"),
        })
        {
            var body = method is "PUT" or "POST" ? "{}" : null;
            await ProbeAsync(operation, method, path, null, body);
            await ProbeAsync(operation, method, path, noRole, body);
        }

        await ProbeAsync("GET /api/clusters", "GET", "/api/clusters", reader);
        await ProbeAsync("GET /api/clusters/{cluster}/inventory", "GET", "/api/clusters/cl1/inventory", reader);
        await ProbeAsync("GET /api/clusters/{cluster}/inventory", "GET", "/api/clusters/bad.name/inventory", reader);
        await ProbeAsync("GET /api/clusters/{cluster}/inventory", "GET", "/api/clusters/nowhere/inventory", reader);
        await ProbeAsync("GET /api/clusters/{cluster}/headroom", "GET", "/api/clusters/cl1/headroom", reader);
        await ProbeAsync("GET /api/clusters/{cluster}/headroom", "GET", "/api/clusters/bad.name/headroom", reader);
        await ProbeAsync("GET /api/clusters/{cluster}/headroom", "GET", "/api/clusters/nowhere/headroom", reader);

        // Requests first, while the cluster is idle: accepted, then the same VM busy, an unknown VM, bad input.
        const string Submit = "POST /api/partition-requests";
        var accepted = await ProbeAsync(Submit, "POST", "/api/partition-requests", op, """{"cluster":"cl1","vm":"vm-two","action":"assign","node":"node1"}""");
        await ProbeAsync(Submit, "POST", "/api/partition-requests", op, """{"cluster":"cl1","vm":"vm-two","action":"assign","node":"node1"}""");
        await ProbeAsync(Submit, "POST", "/api/partition-requests", op, """{"cluster":"cl1","vm":"vm-nowhere","action":"assign"}""");
        await ProbeAsync(Submit, "POST", "/api/partition-requests", op, """{"cluster":"cl1","vm":"vm-two","action":"reboot"}""");
        await ProbeAsync(Submit, "POST", "/api/partition-requests", reader, """{"cluster":"cl1","vm":"vm-two","action":"assign","node":"node1"}""");
        await ProbeAsync(Submit, "POST", "/api/partition-requests", op, huge);
        await ProbeAsync(Submit, "POST", "/api/partition-requests", op, "cluster=cl1", "application/x-www-form-urlencoded");

        await ProbeAsync("GET /api/partition-requests", "GET", "/api/partition-requests?cluster=cl1", reader);
        await ProbeAsync("GET /api/partition-requests", "GET", "/api/partition-requests?pageSize=0", reader);
        var id = accepted!["id"]!.GetValue<string>();
        await ProbeAsync("GET /api/partition-requests/{id}", "GET", $"/api/partition-requests/{id}", reader);
        await ProbeAsync("GET /api/partition-requests/{id}", "GET", "/api/partition-requests/no-such-request", reader);
        await ProbeAsync("GET /api/partition-requests/{id}", "GET", "/api/partition-requests/a%20b", reader);

        // node1 is busy with vm-two's assign: the cluster-wide change is refused (409), nothing stored.
        const string Count = "PUT /api/clusters/{cluster}/partition-count";
        await ProbeAsync(Count, "PUT", "/api/clusters/cl1/partition-count", op, """{"partitionCount":8}""");
        await ProbeAsync(Count, "PUT", "/api/clusters/cl1/partition-count", op, """{"partitionCount":5}""");
        await ProbeAsync(Count, "PUT", "/api/clusters/cl1/partition-count", op, """{"partitionCount":0}""");
        await ProbeAsync(Count, "PUT", "/api/clusters/nowhere/partition-count", op, """{"partitionCount":8}""");
        await ProbeAsync(Count, "PUT", "/api/clusters/cl1/partition-count", reader, """{"partitionCount":8}""");
        await ProbeAsync(Count, "PUT", "/api/clusters/cl1/partition-count", op, huge);
        await ProbeAsync(Count, "PUT", "/api/clusters/cl1/partition-count", op, "partitionCount=8", "application/x-www-form-urlencoded");
        var other = ControlPlaneFixture.Node("node3");
        await _app.Services.GetRequiredService<InventoryStore>().ChangeAsync("cl2", "node3", _ => other, default);
        await ProbeAsync(Count, "PUT", "/api/clusters/cl2/partition-count", op, """{"partitionCount":8}""");

        const string Plan = "POST /api/clusters/{cluster}/partition-count/plans";
        const string GetPlan = "GET /api/clusters/{cluster}/partition-count/plans/{planId}";
        var plan = await ProbeAsync(Plan, "POST", "/api/clusters/cl1/partition-count/plans", op, """{"partitionCount":8,"moves":"when-off"}""");
        await ProbeAsync(Plan, "POST", "/api/clusters/cl1/partition-count/plans", op, """{"partitionCount":8,"moves":"sometimes"}""");
        await ProbeAsync(Plan, "POST", "/api/clusters/nowhere/partition-count/plans", op, """{"partitionCount":8}""");
        await ProbeAsync(Plan, "POST", "/api/clusters/cl1/partition-count/plans", reader, """{"partitionCount":8}""");
        await ProbeAsync(Plan, "POST", "/api/clusters/cl1/partition-count/plans", op, huge);
        await ProbeAsync(Plan, "POST", "/api/clusters/cl1/partition-count/plans", op, "partitionCount=8", "application/x-www-form-urlencoded");
        await ProbeAsync(GetPlan, "GET", $"/api/clusters/cl1/partition-count/plans/{plan!["id"]!.GetValue<string>()}", reader);
        await ProbeAsync(GetPlan, "GET", "/api/clusters/cl1/partition-count/plans/no-such-plan", reader);
        await ProbeAsync(GetPlan, "GET", "/api/clusters/cl1/partition-count/plans/a%20b", reader);
        var planPath = $"/api/clusters/cl1/partition-count/plans/{plan!["id"]!.GetValue<string>()}";
        var blocked = await ProbeAsync(Plan, "POST", "/api/clusters/cl1/partition-count/plans", op, """{"partitionCount":3}""");
        var blockedPath = $"/api/clusters/cl1/partition-count/plans/{blocked!["id"]!.GetValue<string>()}";
        foreach (var (operation, verb) in new[] { ("POST /api/clusters/{cluster}/partition-count/plans/{planId}/apply", "apply"), ("POST /api/clusters/{cluster}/partition-count/plans/{planId}/pause", "pause"), ("POST /api/clusters/{cluster}/partition-count/plans/{planId}/resume", "resume"), ("POST /api/clusters/{cluster}/partition-count/plans/{planId}/cancel", "cancel") })
        {
            await ProbeAsync(operation, "POST", $"/api/clusters/cl1/partition-count/plans/no-such-plan/{verb}", op);
            await ProbeAsync(operation, "POST", $"/api/clusters/cl1/partition-count/plans/a%20b/{verb}", op);
            await ProbeAsync(operation, "POST", $"{planPath}/{verb}", reader);

            // The blocked plan can't be applied, and was never applied: nothing to pause, resume or cancel.
            await ProbeAsync(operation, "POST", $"{blockedPath}/{verb}", op);
        }

        // No VM holds a partition here, so the when-off plan moves nothing and runs; so does a second one.
        await ProbeAsync("POST /api/clusters/{cluster}/partition-count/plans/{planId}/apply", "POST", $"{planPath}/apply", op);
        var runnable = await ProbeAsync(Plan, "POST", "/api/clusters/cl1/partition-count/plans", op, """{"partitionCount":8}""");
        var runnablePath = $"/api/clusters/cl1/partition-count/plans/{runnable!["id"]!.GetValue<string>()}";
        await ProbeAsync("POST /api/clusters/{cluster}/partition-count/plans/{planId}/apply", "POST", $"{runnablePath}/apply", op);
        await ProbeAsync("POST /api/clusters/{cluster}/partition-count/plans/{planId}/pause", "POST", $"{runnablePath}/pause", op);
        await ProbeAsync("POST /api/clusters/{cluster}/partition-count/plans/{planId}/resume", "POST", $"{runnablePath}/resume", op);
        await ProbeAsync("POST /api/clusters/{cluster}/partition-count/plans/{planId}/cancel", "POST", $"{runnablePath}/cancel", op);

        const string GetPolicy = "GET /api/clusters/{cluster}/policy";
        const string PutPolicy = "PUT /api/clusters/{cluster}/policy";
        var policy = await ProbeAsync(GetPolicy, "GET", "/api/clusters/cl1/policy", reader);
        await ProbeAsync(GetPolicy, "GET", "/api/clusters/bad.name/policy", reader);
        await ProbeAsync(PutPolicy, "PUT", "/api/clusters/cl1/policy", op, policy!.ToJsonString());
        await ProbeAsync(PutPolicy, "PUT", "/api/clusters/cl1/policy", op, """{"rules":"none"}""");
        await ProbeAsync(PutPolicy, "PUT", "/api/clusters/cl1/policy", reader, policy.ToJsonString());
        await ProbeAsync(PutPolicy, "PUT", "/api/clusters/cl1/policy", op, huge);
        await ProbeAsync(PutPolicy, "PUT", "/api/clusters/cl1/policy", op, "rules=none", "application/x-www-form-urlencoded");

        foreach (var (operation, method, suffix) in new[] { ("GET /api/clusters/{cluster}/compliance", "GET", string.Empty), ("POST /api/clusters/{cluster}/compliance/scan", "POST", "/scan") })
        {
            await ProbeAsync(operation, method, $"/api/clusters/cl1/compliance{suffix}", op);
            await ProbeAsync(operation, method, $"/api/clusters/bad.name/compliance{suffix}", op);
            await ProbeAsync(operation, method, $"/api/clusters/nowhere/compliance{suffix}", op);
        }

        await ProbeAsync("POST /api/clusters/{cluster}/compliance/scan", "POST", "/api/clusters/cl1/compliance/scan", reader);

        const string ListNodes = "GET /api/clusters/{cluster}/nodes";
        const string GetNode = "GET /api/clusters/{cluster}/nodes/{node}";
        const string PutNode = "PUT /api/clusters/{cluster}/nodes/{node}";
        const string RemoveNode = "DELETE /api/clusters/{cluster}/nodes/{node}";
        const string ResetInventory = "DELETE /api/clusters/{cluster}/nodes/{node}/inventory";
        const string Principal = """{"principalId":"7f0e0d1c-2b3a-4948-8576-a5b4c3d2e1f0"}""";
        await ProbeAsync(ListNodes, "GET", "/api/clusters/cl1/nodes", reader);
        await ProbeAsync(ListNodes, "GET", "/api/clusters/bad.name/nodes", reader);
        await ProbeAsync(PutNode, "PUT", "/api/clusters/cl1/nodes/node9", op, Principal);
        await ProbeAsync(PutNode, "PUT", "/api/clusters/cl1/nodes/node9", op, """{"principalId":"00000000-0000-0000-0000-000000000000"}""");
        await ProbeAsync(PutNode, "PUT", "/api/clusters/cl1/nodes/node9", reader, Principal);
        await ProbeAsync(PutNode, "PUT", "/api/clusters/cl1/nodes/node9", op, huge);
        await ProbeAsync(PutNode, "PUT", "/api/clusters/cl1/nodes/node9", op, "principalId=x", "application/x-www-form-urlencoded");
        await ProbeAsync(GetNode, "GET", "/api/clusters/cl1/nodes/node9", reader);
        await ProbeAsync(GetNode, "GET", "/api/clusters/cl1/nodes/node8", reader);
        await ProbeAsync(GetNode, "GET", "/api/clusters/cl1/nodes/-x", reader);
        await ProbeAsync(RemoveNode, "DELETE", "/api/clusters/cl1/nodes/node9", op);
        await ProbeAsync(RemoveNode, "DELETE", "/api/clusters/cl1/nodes/node9", op);
        await ProbeAsync(RemoveNode, "DELETE", "/api/clusters/cl1/nodes/node1", op);
        await ProbeAsync(RemoveNode, "DELETE", "/api/clusters/cl1/nodes/-x", op);
        await ProbeAsync(RemoveNode, "DELETE", "/api/clusters/cl1/nodes/node1", reader);
        await ProbeAsync(ResetInventory, "DELETE", "/api/clusters/cl1/nodes/node2/inventory", op);
        await ProbeAsync(ResetInventory, "DELETE", "/api/clusters/cl1/nodes/node2/inventory", op);
        await ProbeAsync(ResetInventory, "DELETE", "/api/clusters/cl1/nodes/-x/inventory", op);
        await ProbeAsync(ResetInventory, "DELETE", "/api/clusters/cl1/nodes/node2/inventory", reader);
        await ProbeAsync("GET /api/rejected-messages", "GET", "/api/rejected-messages?limit=5", reader);
        await ProbeAsync("GET /api/rejected-messages", "GET", "/api/rejected-messages?limit=0", reader);
        await ProbeAsync("GET /api/clusters/{cluster}/compliance", "GET", "/api/clusters/cl1/compliance", noRole);
    }

    private async Task<JsonNode?> ProbeAsync(string operation, string method, string path, string? principal, string? body = null, string mediaType = "application/json")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, mediaType);
        }

        if (principal is not null)
        {
            request.Headers.Add(Principals.Header, principal);
        }

        using var response = await _app.Client.SendAsync(request);
        if (!_answered.TryGetValue(operation, out var statuses))
        {
            _answered[operation] = statuses = [];
        }

        statuses.Add((int)response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        return text.Length > 0 && response.Content.Headers.ContentType?.MediaType is "application/json" or "application/problem+json" ? JsonNode.Parse(text) : null;
    }

    /// <summary>"METHOD /path" → status → response object, from the document's paths.</summary>
    private static Dictionary<string, Dictionary<int, JsonNode?>> Operations(JsonNode document)
    {
        var operations = new Dictionary<string, Dictionary<int, JsonNode?>>(StringComparer.Ordinal);
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "parameters" or "summary" or "description")
                {
                    continue;
                }

                operations[$"{method.ToUpperInvariant()} {path}"] = operation!["responses"]!.AsObject()
                    .ToDictionary(r => int.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture), r => r.Value);
            }
        }

        return operations;
    }
}
