namespace GpuAutomation.Messaging;

public enum SettlementKind
{
    /// <summary>Done: the broker removes the message (AMQP accepted).</summary>
    Complete,

    /// <summary>Not done this time: the broker redelivers it (AMQP released).</summary>
    Abandon,

    /// <summary>Never processable: the broker moves it to the dead-letter queue (AMQP rejected).</summary>
    DeadLetter,
}
