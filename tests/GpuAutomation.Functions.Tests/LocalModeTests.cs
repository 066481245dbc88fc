using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Rejections;
using GpuAutomation.ControlPlane.Storage;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;
using GpuAutomation.Messaging.Topology;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// Local trigger mode (no Functions host): the app drives its own triggers — the reports queue of the bus it uses,
/// its own timers, its own Event Grid endpoint — into the real core over in-memory tables.
/// </summary>
public sealed class LocalModeTests : IAsyncLifetime
{
    private readonly StorageOutage _storage = new();
    private readonly InMemoryMessageBus _bus = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero));
    private RunningApp _app = null!;

    public async Task InitializeAsync()
        => _app = await RunningApp.StartAsync(
            HostingMode.Local,
            services =>
            {
                services.AddSingleton<TimeProvider>(_time);
                services.AddSingleton<IRecordTableSource>(_storage);
                services.AddSingleton<IMessageBus>(_bus);
            },
            new Dictionary<string, string>
            {
                ["GpuAutomation:Local:ComplianceScanInterval"] = "00:10:00",
                ["GpuAutomation:Local:OutboxSweepInterval"] = "00:01:00",
                ["GpuAutomation:ControlPlane:RequestTimeout"] = "00:05:00",
                ["GpuAutomation:ControlPlane:CommandTimeToLive"] = "00:04:00",
                [ClusterState.RegisteredNodes.Keys.Single()] = ClusterState.RegisteredNodes.Values.Single(),
            });

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _bus.DisposeAsync();
    }

    [Fact]
    public async Task The_event_grid_subscription_validation_handshake_echoes_the_code()
    {
        await ClusterState.SeedAsync(_app.Services);
        var validation = new JsonArray(new JsonObject
        {
            ["id"] = "v1",
            ["eventType"] = "Microsoft.EventGrid.SubscriptionValidationEvent",
            ["subject"] = string.Empty,
            ["eventTime"] = "2026-11-24T08:00:00Z",
            ["dataVersion"] = "2",
            ["data"] = new JsonObject { ["validationCode"] = "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
        });

        var (status, body) = await PostEventsAsync(validation.ToJsonString(), Principals.Operator);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", body!["validationResponse"]!.GetValue<string>());
        Assert.Empty(await ClusterState.RequestsAsync(_app.Services));
        Assert.Empty(await RejectionsAsync());
    }

    [Fact]
    public async Task The_cloud_events_webhook_handshake_allows_the_requesting_origin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, new Uri(LocalEventGridEndpoint.Path, UriKind.Relative));
        request.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        request.Headers.Add(Principals.Header, Principals.Operator);
        using var response = await _app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("eventgrid.azure.net", Assert.Single(response.Headers.GetValues("WebHook-Allowed-Origin")));
    }

    [Fact]
    public async Task A_batch_of_events_in_both_schemas_reaches_the_core()
    {
        await ClusterState.SeedAsync(_app.Services);
        var batch = new JsonArray(Payloads.VmInstanceWriteEvent("e-1"), Payloads.VmInstanceWriteEvent("e-2", "Microsoft.AzureStackHCI/virtualMachineInstances/delete"));

        var (status, outcomes) = await PostEventsAsync(batch.ToJsonString(), Principals.Operator);
        var (cloudStatus, cloudOutcomes) = await PostEventsAsync(Payloads.VmInstanceWriteCloudEvent("ce-9").ToJsonString(), Principals.Operator, "application/cloudevents+json");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, cloudStatus);
        Assert.Equal(
            ["Microsoft.Resources.ResourceWriteSuccess e-1", "Microsoft.Resources.ResourceWriteSuccess e-2", "Microsoft.Resources.ResourceWriteSuccess ce-9"],
            outcomes!.AsArray().Concat(cloudOutcomes!.AsArray()).Select(o => o!["Detail"]!.GetValue<string>()));

        // Both writes provision their VM; the delete of vm-gpu-01 is acknowledged and asks for nothing.
        var requests = await ClusterState.RequestsAsync(_app.Services);
        Assert.Equal(["vm-gpu-01", "vm-gpu-02"], requests.Select(r => r.VmName).Order(StringComparer.Ordinal));
        Assert.All(requests, r => Assert.Equal((PartitionAction.Assign, RequestOrigin.EventGrid), (r.Action, r.Origin)));
    }

    [Fact]
    public async Task Posting_events_needs_the_operator_role()
    {
        await ClusterState.SeedAsync(_app.Services);

        var (status, body) = await PostEventsAsync(new JsonArray(Payloads.VmInstanceWriteEvent()).ToJsonString(), Principals.Reader);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(ApiErrorCodes.Forbidden, body!["code"]!.GetValue<string>());
        Assert.Empty(await ClusterState.RequestsAsync(_app.Services));
    }

    [Fact]
    public async Task Invocation_endpoints_of_the_functions_host_do_not_exist_locally()
    {
        using var response = await _app.Client.PostAsync(new Uri("/" + FunctionNames.HostReports, UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_local_consumer_completes_handled_and_rejected_reports_and_abandons_failures()
    {
        var inventory = _app.Services.GetRequiredService<InventoryQueries>();
        var now = _time.GetUtcNow();

        await _bus.PublishAsync(QueueNames.Reports, Message.Create(new InventorySnapshot(ClusterState.Node(now)), "q-1", "cl1", "node1", now));
        await WaitUntilAsync(async () => (await inventory.GetNodeAsync("cl1", "node1", default)) is not null);
        await _bus.PublishAsync(QueueNames.Reports, Message.Create(new CollectInventory(), "q-2", "cl1", "node1", now));
        _bus.PublishRaw(QueueNames.Reports, Encoding.UTF8.GetBytes("{oops"), "q-raw");
        await WaitUntilAsync(async () => (await RejectionsAsync()).Count == 1 && _bus.DeadLetters(QueueNames.Reports).Count == 1);

        // While the tables are down, every delivery of q-3 fails: it is abandoned and redelivered, never completed.
        _storage.Down = true;
        await _bus.PublishAsync(QueueNames.Reports, Message.Create(new InventorySnapshot(ClusterState.Node(now.AddMinutes(1))), "q-3", "cl1", "node1", now));
        await WaitUntilAsync(() => Task.FromResult(_bus.DeadLetters(QueueNames.Reports).Count == 2));
        _storage.Down = false;

        // The command was refused by the app (recorded, completed); undecodable bytes are the bus's to dead-letter.
        var rejection = Assert.Single(await RejectionsAsync());
        Assert.Equal((LocalReportsConsumer.TriggerName, "q-2", HostReportIntake.NotAReport), (rejection.Trigger, rejection.MessageId, rejection.Code));
        var deadLetters = _bus.DeadLetters(QueueNames.Reports);
        Assert.Equal(("q-raw", MessageFormatErrors.MalformedJson), (deadLetters[0].MessageId, deadLetters[0].Reason));
        Assert.Equal(("q-3", DeadLetterReasons.MaxDeliveryAttemptsExceeded), (deadLetters[1].MessageId, deadLetters[1].Reason));
        Assert.Equal(new ConsumerOptions().MaxDeliveryAttempts, deadLetters[1].DeliveryCount);
        Assert.Contains($"Handling InventorySnapshot q-3 from cl1/node1 failed (delivery {new ConsumerOptions().MaxDeliveryAttempts})", deadLetters[1].Description, StringComparison.Ordinal);
        Assert.Contains(StorageOutage.Failure, deadLetters[1].Description, StringComparison.Ordinal);
        Assert.Equal(0, _bus.CountReady(QueueNames.Reports));
        Assert.Equal(now, (await inventory.GetNodeAsync("cl1", "node1", default))!.TakenAt);
    }

    [Fact]
    public async Task Local_timers_fire_at_their_intervals()
    {
        var start = _time.GetUtcNow();
        await ClusterState.SeedAsync(_app.Services);
        var requests = _app.Services.GetRequiredService<PartitionRequestService>();
        var reports = _app.Services.GetRequiredService<ComplianceReportStore>();
        var submitted = (await requests.SubmitAsync(PartitionRequestSubmission.Assign("cl1", "vm-two"), default)).Request;
        Assert.False(submitted.IsTerminal, submitted.Error?.Message);

        // The outbox sweep (every minute) times the request out once the 5-minute request timeout has passed; the
        // compliance scan (every 10 minutes) stores a report. The occurrences run on the timers' own threads, so
        // move the clock a minute at a time and give them a moment to act before the next minute.
        PartitionRequest? timedOut = null;
        ComplianceReport? scanned = null;
        for (var minute = 1; minute <= 30 && (timedOut is null || scanned is null); minute++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            for (var wait = 0; wait < 15; wait++)
            {
                await Task.Delay(20);
                var request = await requests.GetAsync(submitted.Id, default);
                var report = await reports.GetLatestAsync("cl1", default);
                var progressed = (timedOut is null && request!.Status == RequestStatus.TimedOut) || (scanned is null && report is not null);
                timedOut ??= request!.Status == RequestStatus.TimedOut ? request : null;
                scanned ??= report;
                if (progressed)
                {
                    break;
                }
            }
        }

        Assert.NotNull(timedOut);
        Assert.Equal(RequestCodes.TimedOut, timedOut.Error!.Code);
        var timedOutAfter = timedOut.CompletedAt!.Value - start;
        Assert.True(timedOutAfter > TimeSpan.FromMinutes(5) && timedOutAfter < TimeSpan.FromMinutes(10), $"The request timed out after {timedOutAfter}.");
        Assert.NotNull(scanned);
        Assert.True(scanned.CheckedAt - start >= TimeSpan.FromMinutes(10), $"The 10-minute scan ran after {scanned.CheckedAt - start}.");
        Assert.Single((await reports.ListAsync("cl1", 10, null, default)).Reports);
    }

    private Task<IReadOnlyList<RejectedMessage>> RejectionsAsync()
        => _app.Services.GetRequiredService<RejectedMessageStore>().RecentAsync(10, default);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not met within 10 s.");
            await Task.Delay(20);
        }
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PostEventsAsync(string json, string principal, string mediaType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(LocalEventGridEndpoint.Path, UriKind.Relative))
        {
            Content = new StringContent(json, Encoding.UTF8, mediaType),
        };
        request.Headers.Add("aeg-event-type", "Notification");
        request.Headers.Add(Principals.Header, principal);
        using var response = await _app.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
