using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Amqp.Framing;
using Amqp.Listener;
using AmqpMessage = Amqp.Message;

namespace GpuAutomation.Messaging.Tests;

/// <summary>
/// An AMQP peer on 127.0.0.1 built on AMQPNetLite's ContainerHost, playing the parts of Service Bus no local broker
/// has: SASL PLAIN with a SAS key or ANONYMOUS only, and a <c>$cbs</c> node answering put-token requests.
/// </summary>
public sealed class ScriptedAmqpPeer : IDisposable
{
    private readonly ContainerHost _host;

    private ScriptedAmqpPeer(int port, Action<ContainerHost> configure)
    {
        Port = port;
        _host = new ContainerHost(new global::Amqp.Address($"amqp://127.0.0.1:{port}"));
        configure(_host);
        _host.Open();
    }

    public int Port { get; }

    /// <summary>Messages received on each queue, in arrival order.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<AmqpMessage>> Queues { get; } = new(StringComparer.Ordinal);

    /// <summary>Every put-token request on <c>$cbs</c>, in arrival order.</summary>
    public ConcurrentQueue<AmqpMessage> CbsRequests { get; } = new();

    /// <summary>The status the <c>$cbs</c> node answers with.</summary>
    public int CbsStatus { get; set; } = 202;

    /// <summary>A peer that only offers SASL PLAIN with these credentials.</summary>
    public static ScriptedAmqpPeer WithPlain(string user, string password, params string[] queues)
        => Start(h => h.Listeners[0].SASL.EnablePlainMechanism(user, password), queues, cbs: false);

    /// <summary>A peer that only offers SASL ANONYMOUS and serves <c>$cbs</c>, like Service Bus for Entra ID clients.</summary>
    public static ScriptedAmqpPeer WithAnonymousAndCbs(params string[] queues)
        => Start(h => h.Listeners[0].SASL.EnableAnonymousMechanism = true, queues, cbs: true);

    public void Dispose() => _host.Close();

    private static ScriptedAmqpPeer Start(Action<ContainerHost> sasl, string[] queues, bool cbs)
    {
        ScriptedAmqpPeer? peer = null;
        peer = new ScriptedAmqpPeer(FreePort(), h =>
        {
            sasl(h);
            foreach (var queue in queues)
            {
                h.RegisterMessageProcessor(queue, new QueueProcessor(m => peer!.Queues.GetOrAdd(queue, _ => new()).Enqueue(m)));
            }

            if (cbs)
            {
                h.RegisterRequestProcessor("$cbs", new CbsProcessor(m =>
                {
                    peer!.CbsRequests.Enqueue(m);
                    return peer.CbsStatus;
                }));
            }
        });
        return peer;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class QueueProcessor(Action<AmqpMessage> onMessage) : IMessageProcessor
    {
        public int Credit => 100;

        public void Process(MessageContext messageContext)
        {
            onMessage(messageContext.Message);
            messageContext.Complete();
        }
    }

    private sealed class CbsProcessor(Func<AmqpMessage, int> onRequest) : IRequestProcessor
    {
        public int Credit => 100;

        public void Process(RequestContext requestContext)
        {
            var status = onRequest(requestContext.Message);
            var reply = new AmqpMessage
            {
                Properties = new Properties { CorrelationId = requestContext.Message.Properties.MessageId },
                ApplicationProperties = new ApplicationProperties(),
            };
            reply.ApplicationProperties.Map["status-code"] = status;
            reply.ApplicationProperties.Map["status-description"] = status == 202 ? "Accepted" : "Unauthorized";
            requestContext.Complete(reply);
        }
    }
}
