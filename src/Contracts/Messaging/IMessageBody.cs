namespace GpuAutomation.Contracts.Messaging;

/// <summary>The body of a message on the bus: a command to a node or a report from one.</summary>
public interface IMessageBody
{
    /// <summary>Checks values that the JSON shape alone can't (ranges, names); reports each problem to <paramref name="check"/>.</summary>
    void Validate(FieldCheck check);
}
