namespace GpuAutomation.EndToEnd.Tests;

/// <summary>
/// Test classes that each start a control-plane process on the shared RabbitMQ: every control plane consumes the same
/// reports queue, so two running at once take each other's reports (and refuse them, their nodes being registered
/// only with the other). They run one class after the other, each process stopped before the next starts.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedBrokerCollection
{
    public const string Name = "control-plane processes on the shared broker";
}
