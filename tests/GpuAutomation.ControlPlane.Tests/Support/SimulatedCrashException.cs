namespace GpuAutomation.ControlPlane.Tests.Support;

/// <summary>Thrown by <see cref="CrashingTables"/> where the simulated process stops.</summary>
internal sealed class SimulatedCrashException : Exception
{
    public SimulatedCrashException(string message)
        : base(message)
    {
    }

    public SimulatedCrashException()
    {
    }

    public SimulatedCrashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
