namespace GpuAutomation.HostRunner.HyperV;

public enum ShutdownOutcome
{
    AlreadyOff,

    /// <summary>The guest shut down through its shutdown integration service.</summary>
    ShutDown,

    /// <summary>The guest has no shutdown integration service (or refused): turned off.</summary>
    TurnedOff,

    /// <summary>The guest did not shut down within the timeout: turned off.</summary>
    TurnedOffAfterTimeout,
}
