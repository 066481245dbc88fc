using System.Diagnostics;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Diagnostics;
using GpuAutomation.Messaging.ServiceBus;

namespace GpuAutomation.Messaging.Tests;

/// <summary>Trace context in application properties, as the Service Bus SDK names it (MessagingClientDiagnostics).</summary>
public sealed class TraceContextPropertiesTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void The_SDK_adapter_sends_the_current_span_as_Diagnostic_Id_and_traceparent()
    {
        using var activity = new Activity("publish").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";
        var message = Message.Create(new CollectInventory(), "cmd-1", "cluster1", "node-a", DateTimeOffset.UtcNow);

        var sent = ServiceBusMessageMapper.ToServiceBus(message, MessageCodec.EncodeForWire(message), DateTimeOffset.UtcNow);

        Assert.Equal(activity.Id, sent.ApplicationProperties["Diagnostic-Id"]);
        Assert.Equal(activity.Id, sent.ApplicationProperties["traceparent"]);
        Assert.Equal("vendor=1", sent.ApplicationProperties["tracestate"]);
    }

    [Fact]
    public void Without_a_span_nothing_is_sent()
    {
        Activity.Current = null;
        var message = Message.Create(new CollectInventory(), "cmd-1", "cluster1", "node-a", DateTimeOffset.UtcNow);

        var sent = ServiceBusMessageMapper.ToServiceBus(message, MessageCodec.EncodeForWire(message), DateTimeOffset.UtcNow);

        Assert.False(sent.ApplicationProperties.ContainsKey("Diagnostic-Id"));
        Assert.False(sent.ApplicationProperties.ContainsKey("traceparent"));
    }

    [Fact]
    public void A_message_with_only_Diagnostic_Id_as_older_SDKs_send_it_still_gives_its_context()
    {
        var properties = new Dictionary<string, object> { ["Diagnostic-Id"] = TraceParent, ["tracestate"] = "ignored=1" };

        var (traceParent, traceState) = TraceContextProperties.Extract(n => properties.GetValueOrDefault(n));

        Assert.Equal(TraceParent, traceParent);
        Assert.Null(traceState);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", TraceContextProperties.Parse(traceParent, traceState).TraceId.ToHexString());
    }

    [Fact]
    public void traceparent_wins_over_Diagnostic_Id_and_brings_its_tracestate()
    {
        var properties = new Dictionary<string, object>
        {
            ["Diagnostic-Id"] = "00-11111111111111111111111111111111-2222222222222222-01",
            ["traceparent"] = TraceParent,
            ["tracestate"] = "vendor=1",
        };

        Assert.Equal((TraceParent, "vendor=1"), TraceContextProperties.Extract(n => properties.GetValueOrDefault(n)));
    }

    [Fact]
    public void A_malformed_context_starts_no_trace_of_its_own()
        => Assert.Equal(default, TraceContextProperties.Parse("not-a-traceparent", null));
}
