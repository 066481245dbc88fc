namespace GpuAutomation.Messaging.Amqp;

public enum AmqpAuthentication
{
    /// <summary>SASL PLAIN: a SAS policy name and key (Service Bus) or a user and password (RabbitMQ).</summary>
    SaslPlain,

    /// <summary>SASL ANONYMOUS with no further authorization (local brokers only).</summary>
    Anonymous,

    /// <summary>SASL ANONYMOUS, then a CBS put-token of an Entra ID token (type jwt) per entity.</summary>
    EntraIdToken,
}
