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
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.InMemory;
using GpuAutomation.Messaging.Topology;
using Microsoft.Extensions.DependencyInjection;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// Posts payloads shaped exactly as the Functions host sends them to the app on real Kestrel, running the real core
/// over in-memory tables (which <see cref="StorageOutage"/> can take down) with an in-memory bus, and checks what the
/// core stored and sent.
/// </summary>
public sealed class HostProtocolTests : IAsyncLifetime
{
    private static readonly string Node1Commands = QueueNames.Commands(ClusterState.Cluster, "node1");

    private readonly StorageOutage _storage = new();
    private readonly InMemoryMessageBus _bus = new();
    private RunningApp _app = null!;

    public async Task InitializeAsync()
        => _app = await RunningApp.StartAsync(
            HostingMode.FunctionsHost,
            services =>
            {
                services.AddSingleton<IRecordTableSource>(_storage);
                services.AddSingleton<IMessageBus>(_bus);
            },
            ClusterState.RegisteredNodes);

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _bus.DisposeAsync();
    }

    [Fact]
    public async Task Readiness_at_the_root_answers_before_any_invocation()
    {
        using var response = await _app.Client.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_binary_service_bus_report_is_decoded_and_handled_by_the_core()
    {
        await ClusterState.SeedAsync(_app.Services);

        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusBinary(Payloads.VmCreatedReport("evt-7"), "evt-7", deliveryCount: 3));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal("ClusterEvent evt-7 from cl1/node1", body["ReturnValue"]!["Detail"]!.GetValue<string>());
        Assert.NotNull(body["Outputs"]);
        Assert.NotNull(body["Logs"]);

        // The VmCreated event of vm-gpu-01 reached provisioning: its policy selects the VM, so it gets a partition.
        var request = Assert.Single(await ClusterState.RequestsAsync(_app.Services));
        Assert.Equal(("vm-gpu-01", ClusterState.GpuVmOneId, RequestOrigin.HostEvent, "host:node1"), (request.VmName, request.VmId, request.Origin, request.RequestedBy));
        var assign = Assert.IsType<AssignPartition>(Assert.Single(await ClusterState.TakeAsync(_bus, Node1Commands, atLeast: 1)).Body);
        Assert.Equal("vm-gpu-01", assign.VmName);
    }

    [Fact]
    public async Task A_double_encoded_string_report_with_members_copied_into_metadata_is_read_from_data_not_metadata()
    {
        await ClusterState.SeedAsync(_app.Services);

        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusString(Payloads.VmCreatedReport("evt-8"), "broker-8", 2));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal("ClusterEvent evt-8 from cl1/node1", body["ReturnValue"]!["Detail"]!.GetValue<string>());
        Assert.Equal("vm-gpu-01", Assert.Single(await ClusterState.RequestsAsync(_app.Services)).VmName);
    }

    [Fact]
    public async Task The_broker_message_id_not_the_copied_envelope_id_is_kept_with_a_refused_string_message()
    {
        // The copied top-level members include "messageId" of the envelope; the broker's "MessageId" must still win.
        var command = MessageCodec.Encode(Message.Create(new CollectInventory(), "cmd-8", "cl1", "node1", Payloads.IssuedAt));

        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusString(command, "broker-8", 2));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HostReportIntake.NotAReport, body["ReturnValue"]!["Code"]!.GetValue<string>());
        var rejected = Assert.Single(await RejectionsAsync());
        Assert.Equal("broker-8", rejected.MessageId);
        Assert.Equal(FunctionNames.HostReports, rejected.Trigger);

        // The excerpt is the message itself, decoded from the quoted string in Data.
        Assert.StartsWith("{\"", rejected.Excerpt, StringComparison.Ordinal);
        Assert.Contains("\"messageId\":\"cmd-8\"", rejected.Excerpt, StringComparison.Ordinal);
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
        var rejected = Assert.Single(await RejectionsAsync());
        Assert.Equal(code, rejected.Code);
        Assert.Equal("bad-1", rejected.MessageId);
        Assert.Equal(FunctionNames.HostReports, rejected.Trigger);
        Assert.StartsWith(raw[..5], rejected.Excerpt, StringComparison.Ordinal);
        Assert.Empty(await _app.Services.GetRequiredService<InventoryQueries>().ListClustersAsync(default));
    }

    [Fact]
    public async Task A_command_sent_to_the_reports_queue_is_rejected_not_handled()
    {
        var command = MessageCodec.Encode(Message.Create(new CollectInventory(), "cmd-1", "cl1", "node1", Payloads.IssuedAt));

        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusBinary(command, "cmd-1", deliveryCount: 3));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Rejected, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal(HostReportIntake.NotAReport, body["ReturnValue"]!["Code"]!.GetValue<string>());
        var rejected = Assert.Single(await RejectionsAsync());
        Assert.Equal((FunctionNames.HostReports, "cmd-1", HostReportIntake.NotAReport), (rejected.Trigger, rejected.MessageId, rejected.Code));
        Assert.Empty(await ClusterState.TakeAsync(_bus, Node1Commands, atLeast: 0));
    }

    [Fact]
    public async Task A_storage_failure_fails_the_invocation_with_a_json_body_so_the_host_redelivers()
    {
        var snapshot = MessageCodec.Encode(Message.Create(new InventorySnapshot(ClusterState.Node(DateTimeOffset.UtcNow)), "snap-9", "cl1", "node1", DateTimeOffset.UtcNow));
        _storage.Down = true;

        var (status, body) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusBinary(snapshot, "snap-9", deliveryCount: 3));
        _storage.Down = false;
        var rejectedDuringOutage = await RejectionsAsync();
        var storedDuringOutage = await _app.Services.GetRequiredService<InventoryQueries>().ListClustersAsync(default);
        var (redelivered, _) = await InvokeAsync(FunctionNames.HostReports, Payloads.ServiceBusBinary(snapshot, "snap-9", deliveryCount: 4));

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(InvocationOutcome.Failed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal(RejectionCodes.HandlerFailed, body["ReturnValue"]!["Code"]!.GetValue<string>());
        var detail = body["ReturnValue"]!["Detail"]!.GetValue<string>();
        Assert.Contains(StorageOutage.Failure, detail, StringComparison.Ordinal);
        Assert.Contains("InventorySnapshot snap-9 from cl1/node1 failed (delivery 3)", detail, StringComparison.Ordinal);
        Assert.Empty(rejectedDuringOutage);
        Assert.Empty(storedDuringOutage);

        // Redelivered once the tables are back, the same report is stored.
        Assert.Equal(HttpStatusCode.OK, redelivered);
        Assert.Equal("cl1", Assert.Single(await _app.Services.GetRequiredService<InventoryQueries>().ListClustersAsync(default)).Cluster);
    }

    [Fact]
    public async Task A_missing_trigger_binding_fails_the_invocation_instead_of_dropping_the_message()
    {
        var (status, body) = await InvokeAsync(FunctionNames.HostReports, "{\"Data\":{\"msg\":\"e30=\"},\"Metadata\":{}}");

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(RejectionCodes.MissingBinding, body["ReturnValue"]!["Code"]!.GetValue<string>());
        Assert.Empty(await RejectionsAsync());
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
    public async Task An_event_grid_vm_write_provisions_the_vm_whether_sent_as_an_object_or_a_double_encoded_string(bool asString)
    {
        await ClusterState.SeedAsync(_app.Services);

        var (status, body) = await InvokeAsync(FunctionNames.VmLifecycleEvents, Payloads.EventGridInvocation(Payloads.VmInstanceWriteEvent(), asString));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal("Microsoft.Resources.ResourceWriteSuccess 8b9c1d2e-0000-4000-8000-000000000001", body["ReturnValue"]!["Detail"]!.GetValue<string>());
        var request = Assert.Single(await ClusterState.RequestsAsync(_app.Services));
        Assert.Equal(("vm-gpu-01", ClusterState.GpuVmOneId, RequestOrigin.EventGrid, "event-grid"), (request.VmName, request.VmId, request.Origin, request.RequestedBy));
        var assign = Assert.IsType<AssignPartition>(Assert.Single(await ClusterState.TakeAsync(_bus, Node1Commands, atLeast: 1)).Body);
        Assert.Equal(ClusterState.GpuVmOneId, assign.VmId);
    }

    [Fact]
    public async Task An_event_grid_write_that_did_not_succeed_is_acknowledged_and_changes_nothing()
    {
        await ClusterState.SeedAsync(_app.Services);
        var failedWrite = Payloads.VmInstanceWriteEvent();
        failedWrite["data"]!["status"] = "Failed";

        var (status, body) = await InvokeAsync(FunctionNames.VmLifecycleEvents, Payloads.EventGridInvocation(failedWrite, asDoubleEncodedString: true));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Empty(await ClusterState.RequestsAsync(_app.Services));
    }

    [Fact]
    public async Task A_cloud_event_is_read_and_its_operation_matched_case_insensitively()
    {
        await ClusterState.SeedAsync(_app.Services);

        var (status, body) = await InvokeAsync(FunctionNames.VmLifecycleEvents, Payloads.EventGridInvocation(Payloads.VmInstanceWriteCloudEvent(), asDoubleEncodedString: false));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Microsoft.Resources.ResourceWriteSuccess ce-1", body["ReturnValue"]!["Detail"]!.GetValue<string>());
        var request = Assert.Single(await ClusterState.RequestsAsync(_app.Services));
        Assert.Equal(("vm-gpu-02", RequestOrigin.EventGrid), (request.VmName, request.Origin));
    }

    [Fact]
    public async Task An_event_without_an_id_is_recorded_as_rejected_and_answered_with_success()
    {
        await ClusterState.SeedAsync(_app.Services);
        var malformed = Payloads.VmInstanceWriteEvent();
        malformed.Remove("id");

        var (status, body) = await InvokeAsync(FunctionNames.VmLifecycleEvents, Payloads.EventGridInvocation(malformed, asDoubleEncodedString: true));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Rejected, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal(RejectionCodes.MalformedEvent, body["ReturnValue"]!["Code"]!.GetValue<string>());
        var rejected = Assert.Single(await RejectionsAsync());
        Assert.Equal((FunctionNames.VmLifecycleEvents, (string?)null, RejectionCodes.MalformedEvent), (rejected.Trigger, rejected.MessageId, rejected.Code));
        Assert.Contains("vm-gpu-01", rejected.Excerpt, StringComparison.Ordinal);
        Assert.Empty(await ClusterState.RequestsAsync(_app.Services));
    }

    [Fact]
    public async Task A_compliance_timer_invocation_scans_every_reported_cluster_and_says_whether_it_was_past_due()
    {
        await ClusterState.SeedAsync(_app.Services);

        var (status, body) = await InvokeAsync(FunctionNames.ComplianceScan, Payloads.Timer(isPastDue: true, last: "2026-11-24T07:00:00+00:00"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(InvocationOutcome.Processed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Equal("compliance scan of 1 clusters (past due: True)", body["ReturnValue"]!["Detail"]!.GetValue<string>());
        var report = await _app.Services.GetRequiredService<ComplianceReportStore>().GetLatestAsync("cl1", default);
        Assert.NotNull(report);
        Assert.Equal("cl1", report.Cluster);
    }

    [Fact]
    public async Task A_failed_outbox_sweep_fails_the_invocation_so_the_host_logs_it()
    {
        _storage.Down = true;

        var (status, body) = await InvokeAsync(FunctionNames.OutboxSweep, Payloads.Timer(isPastDue: false, last: null));

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(InvocationOutcome.Failed, body["ReturnValue"]!["Status"]!.GetValue<string>());
        Assert.Contains(StorageOutage.Failure, body["ReturnValue"]!["Detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_local_event_grid_endpoint_does_not_exist_under_the_functions_host()
    {
        using var response = await _app.Client.PostAsync(new Uri(LocalEventGridEndpoint.Path, UriKind.Relative), new StringContent("[]", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private Task<IReadOnlyList<RejectedMessage>> RejectionsAsync()
        => _app.Services.GetRequiredService<RejectedMessageStore>().RecentAsync(10, default);

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
