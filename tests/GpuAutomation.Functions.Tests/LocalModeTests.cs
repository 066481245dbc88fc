using GpuAutomation.ControlPlane.Rejections;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GpuAutomation.Functions.Tests;

/// <summary>Local trigger mode (no Functions host): the app drives its own triggers.</summary>
public sealed class LocalModeTests : IAsyncLifetime
{
    private readonly RecordingReportHandler _reports = new();
    private readonly RecordingEventHandler _events = new();
    private readonly RecordingTimers _timers = new();
    private readonly ChannelReportsQueue _queue = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero));
    private RunningApp _app = null!;

    public async Task InitializeAsync()
        => _app = await RunningApp.StartAsync(
            HostingMode.Local,
            services =>
            {
                services.AddSingleton<TimeProvider>(_time);
                services.AddSingleton<IHostReportHandler>(_reports);
                services.AddSingleton<IVmLifecycleEventHandler>(_events);
                services.AddSingleton<IComplianceScanner>(_timers);
                services.AddSingleton<IOutboxSweeper>(_timers);
                services.AddSingleton<IReportsQueueReceiver>(_queue);
            },
            new Dictionary<string, string>
            {
                ["GpuAutomation:Local:ComplianceScanInterval"] = "00:10:00",
                ["GpuAutomation:Local:OutboxSweepInterval"] = "00:01:00",
            });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_event_grid_subscription_validation_handshake_echoes_the_code()
    {
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
        Assert.Empty(_events.Received);
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
    public async Task A_batch_of_events_in_both_schemas_reaches_the_handler()
    {
        var batch = new JsonArray(Payloads.VmInstanceWriteEvent("e-1"), Payloads.VmInstanceWriteEvent("e-2", "Microsoft.AzureStackHCI/virtualMachineInstances/delete"));

        var (status, _) = await PostEventsAsync(batch.ToJsonString(), Principals.Operator);
        var (cloudStatus, _) = await PostEventsAsync(Payloads.VmInstanceWriteCloudEvent("ce-9").ToJsonString(), Principals.Operator, "application/cloudevents+json");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, cloudStatus);
        Assert.Equal(["e-1", "e-2", "ce-9"], _events.Received.Select(e => e.Id));
        Assert.True(_events.Received.ToArray()[1].IsAzureLocalVmInstanceDelete);
    }

    [Fact]
    public async Task Posting_events_needs_the_operator_role()
    {
        var (status, body) = await PostEventsAsync(new JsonArray(Payloads.VmInstanceWriteEvent()).ToJsonString(), Principals.Reader);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(ApiErrorCodes.Forbidden, body!["code"]!.GetValue<string>());
        Assert.Empty(_events.Received);
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
        var handled = await _queue.DeliverAsync(new ReceivedReport(Payloads.VmCreatedReport("q-1"), "q-1", 1, null));
        var rejected = await _queue.DeliverAsync(new ReceivedReport(Encoding.UTF8.GetBytes("{oops"), "q-2", 1, null));
        _reports.FailWith = new IOException("store down");
        var failed = await _queue.DeliverAsync(new ReceivedReport(Payloads.VmCreatedReport("q-3"), "q-3", 4, null));

        Assert.Null(handled);
        Assert.Null(rejected);
        var failure = Assert.IsType<TriggerFailureException>(failed);
        Assert.Equal(RejectionCodes.HandlerFailed, failure.Code);
        var (report, delivery) = Assert.Single(_reports.Received);
        Assert.Equal("q-1", report.Envelope.MessageId);
        Assert.Equal(LocalReportsConsumer.TriggerName, delivery.Trigger);
        var rejection = Assert.Single(await _app.Services.GetRequiredService<IRejectedMessageLog>().RecentAsync(10, default));
        Assert.Equal("q-2", rejection.MessageId);
    }

    [Fact]
    public async Task Local_timers_fire_at_their_intervals()
    {
        var start = _time.GetUtcNow();

        // The timers start on a background thread, so move the clock a minute at a time until the scan fires.
        for (var minute = 1; minute <= 30 && !_timers.Ticks.Any(t => t.Function == FunctionNames.ComplianceScan); minute++)
        {
            var sweeps = _timers.Ticks.Count(t => t.Function == FunctionNames.OutboxSweep);
            _time.Advance(TimeSpan.FromMinutes(1));
            for (var wait = 0; wait < 50 && _timers.Ticks.Count(t => t.Function == FunctionNames.OutboxSweep) == sweeps; wait++)
            {
                await Task.Delay(20);
            }
        }

        var scan = Assert.Single(_timers.Ticks, t => t.Function == FunctionNames.ComplianceScan);
        Assert.True(scan.FiredAt - start >= TimeSpan.FromMinutes(10), $"The 10-minute scan fired after {scan.FiredAt - start}.");
        Assert.True(_timers.Ticks.Count(t => t.Function == FunctionNames.OutboxSweep) >= 9);
        Assert.All(_timers.Ticks, t => Assert.False(t.IsPastDue));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
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

    /// <summary>A reports queue in a channel: completes when processing returns, abandons (reports the exception) when it throws.</summary>
    private sealed class ChannelReportsQueue : IReportsQueueReceiver
    {
        private readonly Channel<(ReceivedReport Report, TaskCompletionSource<Exception?> Settled)> _channel = Channel.CreateUnbounded<(ReceivedReport, TaskCompletionSource<Exception?>)>();

        public async Task<Exception?> DeliverAsync(ReceivedReport report)
        {
            var settled = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            await _channel.Writer.WriteAsync((report, settled));
            return await settled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        public async Task ReceiveAsync(Func<ReceivedReport, CancellationToken, Task> process, CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var (report, settled) in _channel.Reader.ReadAllAsync(cancellationToken))
                {
                    try
                    {
                        await process(report, cancellationToken);
                        settled.SetResult(null);
                    }
                    catch (TriggerFailureException ex)
                    {
                        settled.SetResult(ex);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // App stopping.
            }
        }
    }
}
