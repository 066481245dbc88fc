namespace GpuAutomation.Messaging.Amqp;

public sealed class AmqpMessageBusOptions : MessageBusOptions
{
    /// <summary>The AMQP container id the broker sees; defaults to the machine name plus a random suffix.</summary>
    public string? ContainerId { get; set; }
}
