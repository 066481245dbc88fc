namespace GpuAutomation.Messaging.Tests;

/// <summary>
/// Every test that talks to RabbitMQ runs in this one collection, one at a time: they share the broker's single
/// dead-letter queue. (The restart tests stop a node of their own: DedicatedRabbitMqNode.)
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqBroker>
{
    public const string Name = "RabbitMQ";
}
