namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// Stable kebab-case codes carried by <see cref="CimException"/> (house rule: stable kebab-case error codes); callers
/// and reports branch on these, never on messages. A code not mapped by name in the reports goes out as it is.
/// </summary>
public static class CimErrors
{
    public const string NotFound = "cim-not-found";
    public const string InvalidNamespace = "cim-invalid-namespace";
    public const string InvalidClass = "cim-invalid-class";
    public const string InvalidQuery = "cim-invalid-query";
    public const string InvalidPath = "cim-invalid-path";
    public const string InvalidParameter = "cim-invalid-parameter";
    public const string NotSupported = "cim-not-supported";
    public const string AccessDenied = "cim-access-denied";
    public const string Failed = "cim-failed";
    public const string TypeMismatch = "cim-type-mismatch";
    public const string MissingProperty = "cim-missing-property";
    public const string MalformedXml = "cim-malformed-xml";
    public const string Unavailable = "cim-unavailable";

    /// <summary>The cluster stored the properties; they take effect at the next offline (ERROR_RESOURCE_PROPERTIES_STORED, 0x13A0).</summary>
    public const string PropertiesStored = "cluster-properties-stored";

    public const string UnsafeWqlValue = "wql-unsafe-value";

    public const string MethodFailed = "hyperv-method-failed";
    public const string InvalidState = "hyperv-invalid-state";
    public const string JobFailed = "hyperv-job-failed";
    public const string JobTimeout = "hyperv-job-timeout";
    public const string StateTimeout = "hyperv-state-timeout";
    public const string VmNotFound = "hyperv-vm-not-found";
    public const string VmAmbiguous = "hyperv-vm-ambiguous";
    public const string VmNotOff = "hyperv-vm-not-off";
    public const string GpuNotFound = "hyperv-gpu-not-found";
    public const string InvalidPartitionCount = "hyperv-invalid-partition-count";
    public const string PartitionsAssigned = "hyperv-partitions-assigned";
    public const string VmHasPartition = "hyperv-vm-has-partition";
    public const string NoFreePartition = "hyperv-no-free-partition";
    public const string AdapterNotFound = "hyperv-adapter-not-found";
    public const string TemplateNotFound = "hyperv-template-not-found";
    public const string InvalidMmio = "hyperv-invalid-mmio";

    public const string ClusterResourceNotFound = "cluster-resource-not-found";
    public const string InvalidOfflineAction = "cluster-invalid-offline-action";
}
