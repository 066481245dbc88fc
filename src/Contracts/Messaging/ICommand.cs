namespace GpuAutomation.Contracts.Messaging;

/// <summary>A command the control plane sends to one node's host runner.</summary>
public interface ICommand : IMessageBody;
