namespace GpuAutomation.ControlPlane.Queueing;

/// <summary>What an attempt to admit a queued request came to.</summary>
public enum QueueAdmissionOutcome
{
    /// <summary>Accepted with its reservation and command, and out of the queue.</summary>
    Admitted,

    /// <summary>Still doesn't fit (capacity, reserve, or a request in flight); stays queued.</summary>
    Waiting,

    /// <summary>Ended by this attempt (rejected, expired or cancelled) and out of the queue.</summary>
    Ended,

    /// <summary>Not queued any more: another instance admitted or ended it first.</summary>
    Gone,
}
