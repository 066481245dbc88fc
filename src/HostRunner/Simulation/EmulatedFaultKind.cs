namespace GpuAutomation.HostRunner.Simulation;

public enum EmulatedFaultKind
{
    /// <summary>A method returns the fault's return value; other operations throw its code.</summary>
    Fail,

    /// <summary>The call never returns until cancelled.</summary>
    Hang,

    /// <summary>The call is delayed, then behaves normally.</summary>
    Slow,

    /// <summary>The method starts a job (4096) that ends in state 10 with the fault's error code and description.</summary>
    FailJob,

    /// <summary>The method's job stays Running forever.</summary>
    HangJob,

    /// <summary>The method's job takes the fault's delay longer.</summary>
    SlowJob,

    /// <summary>
    /// The method's job does its work and ends in state 32768, "Completed with warnings": a success state
    /// (Microsoft's sample WmiUtilities.IsJobSuccessful; fidelity audit row 30, E12).
    /// </summary>
    WarnJob,

    /// <summary>
    /// While it runs, the method's job reports state 11 ("Service"), which Msvm_ConcreteJob documents as not final
    /// (fidelity audit row 30): a caller must keep polling.
    /// </summary>
    ServiceJob,

    /// <summary>GetClass answers the class declaring no methods, as a provider without them would (for <c>check</c>).</summary>
    MissingMethods,
}
