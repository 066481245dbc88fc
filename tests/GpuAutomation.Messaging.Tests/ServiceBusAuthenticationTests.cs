using System.Diagnostics;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Messaging.Topology;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace GpuAutomation.Messaging.Tests;

/// <summary>The Service Bus-only paths (SASL choice, CBS put-token and its renewal) against a scripted AMQP peer.</summary>
public sealed class ServiceBusAuthenticationTests(ITestOutputHelper output)
{
    private const string KeyName = "RootManageSharedAccessKey";
    private const string Key = "c2VjcmV0LWtleS12YWx1ZQ==";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_sas_connection_string_signs_in_with_sasl_plain_and_the_envelope_travels_as_amqp_properties()
    {
        using var peer = ScriptedAmqpPeer.WithPlain(KeyName, Key, QueueNames.Reports);
        await using var bus = AmqpMessageBus.Create(SasConnectionString(peer, Key), loggerFactory: new TestOutputLoggerFactory(output));
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
        Assert.Equal(activity.Id, sent.ApplicationProperties.Map["traceparent"]);
        Assert.InRange(sent.Header.Ttl, 590_000u, 600_000u);
        Assert.Equal(message.Envelope, MessageCodec.Decode((byte[])sent.Body).Envelope);
    }

    [Fact]
    public async Task A_wrong_key_fails_as_unauthorized_and_the_error_does_not_echo_the_key()
    {
        using var peer = ScriptedAmqpPeer.WithPlain(KeyName, Key, QueueNames.Reports);
        const string wrongKey = "d3Jvbmcta2V5LXZhbHVl";
        await using var bus = AmqpMessageBus.Create(
            SasConnectionString(peer, wrongKey),
            new AmqpMessageBusOptions { PublishTimeout = TimeSpan.FromSeconds(5) });

        var error = await Assert.ThrowsAsync<MessagingException>(() => bus.PublishAsync(QueueNames.Reports, NewMessage()));
        Assert.Equal(MessagingErrors.Unauthorized, error.Code);
        Assert.DoesNotContain(wrongKey, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(peer.Queues);
    }

    [Fact]
    public async Task A_token_credential_signs_in_anonymously_and_puts_a_jwt_on_cbs_before_sending()
    {
        using var peer = ScriptedAmqpPeer.WithAnonymousAndCbs(QueueNames.Reports);
        var credential = new CountingCredential(TimeProvider.System, TimeSpan.FromHours(1));
        await using var bus = AmqpMessageBus.Create(TokenConnectionString(peer), credential: credential, loggerFactory: new TestOutputLoggerFactory(output));

        await bus.PublishAsync(QueueNames.Reports, NewMessage());
        await bus.PublishAsync(QueueNames.Reports, NewMessage());

        var put = Assert.Single(peer.CbsRequests);
        Assert.Equal("put-token", put.ApplicationProperties.Map["operation"]);
        Assert.Equal("jwt", put.ApplicationProperties.Map["type"]);
        Assert.Equal($"amqp://127.0.0.1/{QueueNames.Reports}", put.ApplicationProperties.Map["name"]);
        Assert.Equal("token-1", put.Body);
        Assert.Equal(["https://servicebus.azure.net/.default"], credential.Scopes);
        Assert.Equal(2, peer.Queues[QueueNames.Reports].Count);
    }

    [Fact]
    public async Task The_cbs_token_is_put_again_with_a_fresh_token_before_it_expires()
    {
        using var peer = ScriptedAmqpPeer.WithAnonymousAndCbs(QueueNames.Reports);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var credential = new CountingCredential(time, TimeSpan.FromMinutes(15));
        await using var bus = AmqpMessageBus.Create(
            TokenConnectionString(peer),
            new AmqpMessageBusOptions { TimeProvider = time, TokenRenewalMargin = TimeSpan.FromMinutes(10) },
            credential,
            new TestOutputLoggerFactory(output));
        await bus.PublishAsync(QueueNames.Reports, NewMessage());
        Assert.Single(peer.CbsRequests);

        time.Advance(TimeSpan.FromMinutes(4));
        await Task.Delay(300);
        Assert.Single(peer.CbsRequests);

        time.Advance(TimeSpan.FromMinutes(2));
        var deadline = DateTime.UtcNow + Wait;
        while (peer.CbsRequests.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(["token-1", "token-2"], peer.CbsRequests.Select(r => (string)r.Body));
        Assert.All(peer.CbsRequests, r => Assert.Equal($"amqp://127.0.0.1/{QueueNames.Reports}", r.ApplicationProperties.Map["name"]));
    }

    [Fact]
    public async Task A_refused_token_fails_the_publish_as_unauthorized()
    {
        using var peer = ScriptedAmqpPeer.WithAnonymousAndCbs(QueueNames.Reports);
        peer.CbsStatus = 401;
        await using var bus = AmqpMessageBus.Create(TokenConnectionString(peer), credential: new CountingCredential(TimeProvider.System, TimeSpan.FromHours(1)));

        var error = await Assert.ThrowsAsync<MessagingException>(() => bus.PublishAsync(QueueNames.Reports, NewMessage()));
        Assert.Equal(MessagingErrors.Unauthorized, error.Code);
        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Empty(peer.Queues);
    }

    private static string SasConnectionString(ScriptedAmqpPeer peer, string key)
        => $"Endpoint=sb://127.0.0.1:{peer.Port}/;SharedAccessKeyName={KeyName};SharedAccessKey={key};UseDevelopmentEmulator=true";

    private static string TokenConnectionString(ScriptedAmqpPeer peer)
        => $"Endpoint=sb://127.0.0.1:{peer.Port}/;UseDevelopmentEmulator=true";

    private static Message NewMessage()
        => Message.Create(new CollectInventory(), Guid.NewGuid().ToString("N"), "cluster1", "node-a", DateTimeOffset.UtcNow);
}
