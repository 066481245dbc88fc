namespace GpuAutomation.Functions.Hosting;

/// <summary>Who drives the app's triggers.</summary>
public enum HostingMode
{
    /// <summary>The Azure Functions host runs the app as a custom handler and invokes its functions.</summary>
    FunctionsHost,

    /// <summary>No Functions host: the app consumes the reports queue and runs its timers itself.</summary>
    Local,
}
