namespace GpuAutomation.Messaging.Amqp;

public enum AmqpAuthentication
{
    /// <summary>SASL PLAIN with the broker user and password from the amqp:// address.</summary>
    SaslPlain,

    /// <summary>SASL ANONYMOUS (local brokers only).</summary>
    Anonymous,
}
