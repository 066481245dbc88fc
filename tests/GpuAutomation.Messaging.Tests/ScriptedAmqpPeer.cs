using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Amqp.Framing;
using Amqp.Listener;
using AmqpMessage = Amqp.Message;

namespace GpuAutomation.Messaging.Tests;

/// <summary>
/// An AMQP peer on 127.0.0.1 built on AMQPNetLite's ContainerHost that offers only SASL PLAIN with one user and
/// password (RabbitMQ offers PLAIN and ANONYMOUS together), and keeps what it receives.
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

    /// <summary>A peer that only offers SASL PLAIN with these credentials.</summary>
    public static ScriptedAmqpPeer WithPlain(string user, string password, params string[] queues)
        => Start(h => h.Listeners[0].SASL.EnablePlainMechanism(user, password), queues);

    public void Dispose() => _host.Close();

    private static ScriptedAmqpPeer Start(Action<ContainerHost> sasl, string[] queues)
    {
        ScriptedAmqpPeer? peer = null;
        peer = new ScriptedAmqpPeer(FreePort(), h =>
        {
            sasl(h);
            foreach (var queue in queues)
            {
                h.RegisterMessageProcessor(queue, new QueueProcessor(m => peer!.Queues.GetOrAdd(queue, _ => new()).Enqueue(m)));
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
}
