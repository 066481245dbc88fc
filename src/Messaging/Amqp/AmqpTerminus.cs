using Amqp.Framing;

namespace GpuAutomation.Messaging.Amqp;

/// <summary>
/// The attach frames of our links: every queue address is a durable terminus, so a broker that creates queues on
/// attach creates durable ones. RabbitMQ 3.10's AMQP 1.0 plugin declares the queue of a plain <c>name</c> (or
/// <c>/queue/name</c>) address with durable = the terminus' <c>durable</c> field: none (the default) gives a transient
/// queue that a broker restart deletes with its messages; configuration or unsettled-state gives a durable queue
/// (rabbitmq-server v3.10.x deps/rabbitmq_amqp1_0/src/rabbit_amqp1_0_incoming_link.erl ensure_target,
/// rabbit_amqp1_0_outgoing_link.erl ensure_source, rabbit_amqp1_0_link_util.erl durable/1). RabbitMQ refuses an attach
/// whose durability differs from the existing queue's, so every link to a queue must say the same.
/// </summary>
internal static class AmqpTerminus
{
    /// <summary>terminus-durability "configuration" (AMQP 1.0 §3.5.5): the queue outlives the link; messages persist by their own durable header.</summary>
    public const uint ConfigurationDurability = 1;

    public static Attach Sender(string queue) => new()
    {
        Source = new Source(),
        Target = new Target { Address = queue, Durable = ConfigurationDurability },
    };

    /// <summary>
    /// A receiver of an existing queue only: RabbitMQ resolves <c>/amq/queue/&lt;name&gt;</c> without declaring it
    /// (rabbit_routing_util ensure_endpoint, amqqueue), so a missing queue is refused instead of created. For probes.
    /// </summary>
    public static Attach ExistingQueueReceiver(string queue) => new()
    {
        Source = new Source { Address = "/amq/queue/" + queue, Durable = ConfigurationDurability },
        Target = new Target(),
    };

    public static Attach Receiver(string queue) => new()
    {
        Source = new Source { Address = queue, Durable = ConfigurationDurability },
        Target = new Target(),
    };
}
