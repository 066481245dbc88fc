namespace GpuAutomation.HostRunner.Reporting;

public enum InventoryReason
{
    Start,
    AfterCommand,
    Schedule,

    /// <summary>A poll for changes: a snapshot is sent only when something differs.</summary>
    ChangeCheck,
}
