using System.Diagnostics;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Messaging.Topology;
using Xunit.Abstractions;

namespace GpuAutomation.Messaging.Tests;

/// <summary>The AMQP adapter's sign-in (SASL PLAIN from the amqp:// address) and wire form, against a scripted AMQP peer.</summary>
public sealed class AmqpSaslTests(ITestOutputHelper output)
{
    private const string User = "agent";
    private const string Password = "c2VjcmV0LWtleS12YWx1ZQ";

    [Fact]
    public async Task An_amqp_address_with_a_user_signs_in_with_sasl_plain_and_the_envelope_travels_as_amqp_properties()
    {
        using var peer = ScriptedAmqpPeer.WithPlain(User, Password, QueueNames.Reports);
        await using var bus = AmqpMessageBus.Create(Address(peer, Password), loggerFactory: new TestOutputLoggerFactory(output));
        var now = DateTimeOffset.UtcNow;
        var message = Message.Create(new CollectInventory(), "cmd-1", "cluster1", "node-a", now, "request-7", now.AddMinutes(10));

        using var activity = new Activity("publish").SetIdFormat(ActivityIdFormat.W3C).Start();
        await bus.PublishAsync(QueueNames.Reports, message);

        var sent = Assert.Single(peer.Queues[QueueNames.Reports]);
        Assert.Equal("cmd-1", sent.Properties.MessageId);
        Assert.Equal("request-7", sent.Properties.CorrelationId);
        Assert.Equal(MessageTypes.CollectInventory, sent.Properties.Subject);
        Assert.Equal(MessageCodec.ContentType, sent.Properties.ContentType.ToString());
        Assert.Equal(1, sent.ApplicationProperties.Map["schema-version"]);
        Assert.Equal("cluster1", sent.ApplicationProperties.Map["cluster"]);
        Assert.Equal("node-a", sent.ApplicationProperties.Map["node"]);
        // Trace context as the Service Bus SDK writes it: Diagnostic-Id and traceparent hold the producer span, a child of ours.
        var traceParent = Assert.IsType<string>(sent.ApplicationProperties.Map["Diagnostic-Id"]);
        Assert.Equal(traceParent, sent.ApplicationProperties.Map["traceparent"]);
        Assert.True(ActivityContext.TryParse(traceParent, null, out var context));
        Assert.Equal(activity.TraceId, context.TraceId);
        Assert.True(sent.Header.Durable, "messages are persistent, so a broker restart keeps them");
        Assert.InRange(sent.Header.Ttl, 590_000u, 600_000u);
        Assert.Equal(message.Envelope, MessageCodec.Decode((byte[])sent.Body).Envelope);
    }

    [Fact]
    public async Task A_wrong_password_fails_as_unauthorized_and_the_error_does_not_echo_it()
    {
        using var peer = ScriptedAmqpPeer.WithPlain(User, Password, QueueNames.Reports);
        const string wrong = "d3Jvbmcta2V5LXZhbHVl";
        await using var bus = AmqpMessageBus.Create(Address(peer, wrong), new AmqpMessageBusOptions { PublishTimeout = TimeSpan.FromSeconds(5) });

        var error = await Assert.ThrowsAsync<MessagingException>(() => bus.PublishAsync(QueueNames.Reports, NewMessage()));
        Assert.Equal(MessagingErrors.Unauthorized, error.Code);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(peer.Queues);
    }

    private static string Address(ScriptedAmqpPeer peer, string password) => $"amqp://{User}:{password}@127.0.0.1:{peer.Port}";

    private static Message NewMessage()
        => Message.Create(new CollectInventory(), Guid.NewGuid().ToString("N"), "cluster1", "node-a", DateTimeOffset.UtcNow);
}
