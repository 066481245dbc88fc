namespace GpuAutomation.Messaging;

/// <summary>What <see cref="IMessageBus.ProbeAsync"/> asks the broker to grant on a queue.</summary>
public enum ProbeAccess
{
    /// <summary>A sender link to the queue (Service Bus: the Send right, e.g. Azure Service Bus Data Sender).</summary>
    Send,

    /// <summary>Reading the queue (Service Bus: the Listen right, e.g. Azure Service Bus Data Receiver).</summary>
    Receive,
}
