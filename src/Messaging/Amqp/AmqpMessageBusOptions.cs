namespace GpuAutomation.Messaging.Amqp;

public sealed class AmqpMessageBusOptions : MessageBusOptions
{
    /// <summary>The AMQP container id the broker sees; defaults to the machine name plus a random suffix.</summary>
    public string? ContainerId { get; set; }

    /// <summary>Renew a CBS token this long before it expires (the Azure SDK renews about 10 minutes early).</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromMinutes(10);
}
