namespace GpuAutomation.ControlPlane.Storage;

/// <summary>Where the control plane's tables are (configuration section "GpuAutomation:Tables"); neither set: in memory.</summary>
public sealed class TableStorageOptions
{
    public const string SectionName = "GpuAutomation:Tables";

    /// <summary>Identity-based table endpoint, e.g. https://acct.table.core.windows.net (Azure: the app's managed identity).</summary>
    public Uri? ServiceUri { get; set; }

    /// <summary>Local runs and labs only: a Table Storage connection string (Azurite). Never set in Azure.</summary>
    public string? ConnectionString { get; set; }
}
