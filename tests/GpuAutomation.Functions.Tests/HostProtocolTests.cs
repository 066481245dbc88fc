using GpuAutomation.ControlPlane.Rejections;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>Posts payloads shaped exactly as the Functions host sends them to the app on real Kestrel.</summary>
public sealed class HostProtocolTests : IAsyncLifetime
{
    private readonly RecordingReportHandler _reports = new();
    private readonly RecordingEventHandler _events = new();
    private readonly RecordingTimers _timers = new();
    private RunningApp _app = null!;

    public async Task InitializeAsync()
        => _app = await RunningApp.StartAsync(HostingMode.FunctionsHost, services =>
        {
            services.AddSingleton<IHostReportHandler>(_reports);
            services.AddSingleton<IVmLifecycleEventHandler>(_events);
            services.AddSingleton<IComplianceScanner>(_timers);
            services.AddSingleton<IOutboxSweeper>(_timers);
        });

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Readiness_at_the_root_answers_before_any_invocation()
    {
        using var response = await _app.Client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_binary_service_bus_report_reaches_the_handler_decoded_with_its_delivery_facts()
    {
        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusBinary(Payloads.VmCreatedReport("evt-7"), "evt-7", deliveryCount: 3));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.NotNull(body["Outputs"]);
        Assert.NotNull(body["Logs"]);
        var (report, delivery) = Assert.Single(_reports.Received);
        Assert.Equal("evt-7", report.Envelope.MessageId);
        Assert.Equal(MessageTypes.ClusterEvent, report.Envelope.MessageType);
        var clusterEvent = Assert.IsType<ClusterEvent>(report.Body);
        Assert.Equal("vm-gpu-01", clusterEvent.VmName);
        Assert.Equal(new ReportDelivery(FunctionNames.HostReports, "evt-7", 3, new DateTimeOffset(2026, 11, 24, 8, 0, 1, TimeSpan.Zero)), delivery);
    }

    [Fact]
    public async Task A_double_encoded_string_report_with_members_copied_into_metadata_is_read_from_data_not_metadata()
    {
        // The copied top-level members include "messageId" of the envelope; the broker's "MessageId" must still win.
        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusString(Payloads.VmCreatedReport("evt-8"), "broker-8", 2));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        var (report, delivery) = Assert.Single(_reports.Received);
        Assert.Equal("evt-8", report.Envelope.MessageId);
        Assert.Equal("broker-8", delivery.BrokerMessageId);
        Assert.Equal(2, delivery.DeliveryCount);
    }

    [Theory]
    [InlineData("{not json", MessageFormatErrors.MalformedJson)]
    [InlineData("{\"messageType\":\"Teleport\",\"schemaVersion\":1,\"messageId\":\"m1\",\"cluster\":\"cl1\",\"node\":\"n1\",\"issuedAt\":\"2026-11-24T08:00:00Z\",\"body\":{}}", MessageFormatErrors.UnknownMessageType)]
    [InlineData("{\"messageType\":\"ClusterEvent\",\"schemaVersion\":9,\"messageId\":\"m1\",\"cluster\":\"cl1\",\"node\":\"n1\",\"issuedAt\":\"2026-11-24T08:00:00Z\",\"body\":{}}", MessageFormatErrors.UnsupportedSchemaVersion)]
    public async Task A_message_that_can_never_be_processed_is_recorded_as_rejected_and_answered_with_success(string raw, string code)
    {
        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusBinary(Encoding.UTF8.GetBytes(raw), "bad-1"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Rejected, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal(code, body["ReturnValue"]!["Code"]!.GetValue<string>());
        Assert.Empty(_reports.Received);
        var rejected = Assert.Single(await _app.Services.GetRequiredService<IRejectedMessageLog>().RecentAsync(10, default));
        Assert.Equal(code, rejected.Code);
        Assert.Equal("bad-1", rejected.MessageId);
        Assert.Equal(FunctionNames.HostReports, rejected.Trigger);
        Assert.StartsWith(raw[..5], rejected.Excerpt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_sent_to_the_reports_queue_is_rejected_not_handled()
    {
        var command = MessageCodec.Encode(Message.Create(new Contracts.Commands.CollectInventory(), "cmd-1", "cl1", "node1", Payloads.IssuedAt));

        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusBinary(command, "cmd-1"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HostReportIntake.NotAReport, body["ReturnValue"]!["Code"]!.GetValue<string>());
        Assert.Empty(_reports.Received);
    }

    [Fact]
    public async Task A_handler_failure_fails_the_invocation_with_a_json_body_so_the_host_redelivers()
    {
        _reports.FailWith = new TimeoutException("table storage timed out");

        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusBinary(Payloads.VmCreatedReport("evt-9"), "evt-9"));

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(InvocationOutcome.Failed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal(RejectionCodes.HandlerFailed, body["ReturnValue"]!["Code"]!.GetValue<string>());
        Assert.Contains("table storage timed out", body["ReturnValue"]!["Detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(await _app.Services.GetRequiredService<IRejectedMessageLog>().RecentAsync(10, default));
    }

    [Fact]
    public async Task A_missing_trigger_binding_fails_the_invocation_instead_of_dropping_the_message()
    {
        var (status, body) = await InvokeAsync(FunctionNames.HostReports, "{\"Data\":{\"msg\":\"e30=\"},\"Metadata\":{}}");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(RejectionCodes.MissingBinding, body["ReturnValue"]!["Code"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_invocation_body_that_is_not_json_is_answered_with_json_and_a_failure()
    {
        var (status, body) = await InvokeAsync(FunctionNames.OutboxSweep, "Data=1");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(RejectionCodes.MalformedInvocation, body["ReturnValue"]!["Code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_event_grid_event_reaches_the_handler_whether_sent_as_an_object_or_a_double_encoded_string(bool asString)
    {
        var (status, body) = await InvokeAsync(FunctionNames.VmLifecycleEvents, Payloads.EventGridInvocation(Payloads.VmInstanceWriteEvent(), asString));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        var received = Assert.Single(_events.Received);
        Assert.Equal("8b9c1d2e-0000-4000-8000-000000000001", received.Id);
        Assert.True(received.IsAzureLocalVmInstanceWrite);
        Assert.Equal("Succeeded", received.Status);
        Assert.Equal("corr-1", received.CorrelationId);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero).AddTicks(1234567), received.Time);
        Assert.Contains("Microsoft.HybridCompute/machines/vm-gpu-01", received.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cloud_event_is_read_and_its_operation_matched_case_insensitively()
    {
        var (status, _) = await InvokeAsync(FunctionNames.VmLifecycleEvents, Payloads.EventGridInvocation(Payloads.VmInstanceWriteCloudEvent(), asDoubleEncodedString: false));

        Assert.Equal(HttpStatusCode.OK, status);
        var received = Assert.Single(_events.Received);
        Assert.Equal("ce-1", received.Id);
        Assert.True(received.IsAzureLocalVmInstanceWrite);
        Assert.Equal("/subscriptions/00000000-0000-0000-0000-000000000001", received.Source);
    }

    [Fact]
    public async Task An_event_without_an_id_is_recorded_as_rejected_and_answered_with_success()
    {
        var malformed = Payloads.VmInstanceWriteEvent();
        malformed.Remove("id");

        var (status, body) = await InvokeAsync(FunctionNames.VmLifecycleEvents, Payloads.EventGridInvocation(malformed, asDoubleEncodedString: true));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(RejectionCodes.MalformedEvent, body["ReturnValue"]!["Code"]!.GetValue<string>());
        Assert.Empty(_events.Received);
        Assert.Single(await _app.Services.GetRequiredService<IRejectedMessageLog>().RecentAsync(10, default));
    }

    [Fact]
    public async Task A_timer_invocation_hands_the_schedule_status_to_the_compliance_scanner()
    {
        var (status, body) = await InvokeAsync(FunctionNames.ComplianceScan, Payloads.Timer(isPastDue: true, last: "2026-11-24T07:00:00+00:00"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        var tick = Assert.Single(_timers.Ticks);
        Assert.Equal(FunctionNames.ComplianceScan, tick.Function);
        Assert.True(tick.IsPastDue);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 7, 0, 0, TimeSpan.Zero), tick.LastRun);
    }

    [Fact]
    public async Task A_failed_outbox_sweep_fails_the_invocation_so_the_host_logs_it()
    {
        _timers.FailSweep = true;

        var (status, body) = await InvokeAsync(FunctionNames.OutboxSweep, Payloads.Timer(isPastDue: false, last: null));

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains("table storage unavailable", body["ReturnValue"]!["Detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_local_event_grid_endpoint_does_not_exist_under_the_functions_host()
    {
        using var response = await _app.Client.PostAsync(new Uri(LocalEventGridEndpoint.Path, UriKind.Relative), new StringContent("[]", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<(HttpStatusCode Status, JsonNode Body)> InvokeAsync(string function, string payload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/" + function, UriKind.Relative))
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        request.Headers.Add("X-Azure-Functions-HostVersion", "4.1040.300.0");
        using var response = await _app.Client.SendAsync(request);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrEmpty(text), "The host hangs on an empty body.");
        return (response.StatusCode, JsonNode.Parse(text)!);
    }
}
