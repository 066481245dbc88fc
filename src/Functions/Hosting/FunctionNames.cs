namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Names of the non-HTTP functions: each is a folder under FunctionApp/ with its function.json, and the host
/// invokes it as <c>POST /&lt;name&gt;</c>. The binding names are what the handler reads from <c>Data</c>.
/// </summary>
public static class FunctionNames
{
    public const string HostReports = "HostReports";
    public const string VmLifecycleEvents = "VmLifecycleEvents";
    public const string ComplianceScan = "ComplianceScan";
    public const string OutboxSweep = "OutboxSweep";

    /// <summary>Binding name of the Service Bus trigger in HostReports/function.json.</summary>
    public const string HostReportsBinding = "message";

    /// <summary>Binding name of the Event Grid trigger in VmLifecycleEvents/function.json.</summary>
    public const string VmLifecycleEventsBinding = "eventGridEvent";

    /// <summary>Binding name of the timer trigger in ComplianceScan/ and OutboxSweep/function.json.</summary>
    public const string TimerBinding = "timer";

    public static IReadOnlyList<string> All { get; } = [HostReports, VmLifecycleEvents, ComplianceScan, OutboxSweep];
}
