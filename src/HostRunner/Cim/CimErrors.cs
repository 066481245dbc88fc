namespace GpuAutomation.HostRunner.Cim;

/// <summary>Stable codes carried by <see cref="CimException"/>; callers and reports branch on these, never on messages.</summary>
public static class CimErrors
{
    public const string NotFound = "cim.not_found";
    public const string InvalidNamespace = "cim.invalid_namespace";
    public const string InvalidClass = "cim.invalid_class";
    public const string InvalidQuery = "cim.invalid_query";
    public const string InvalidPath = "cim.invalid_path";
    public const string InvalidParameter = "cim.invalid_parameter";
    public const string NotSupported = "cim.not_supported";
    public const string AccessDenied = "cim.access_denied";
    public const string Failed = "cim.failed";
    public const string TypeMismatch = "cim.type_mismatch";
    public const string MissingProperty = "cim.missing_property";
    public const string MalformedXml = "cim.malformed_xml";
    public const string Unavailable = "cim.unavailable";

    /// <summary>The cluster stored the properties; they take effect at the next offline (ERROR_RESOURCE_PROPERTIES_STORED, 0x13A0).</summary>
    public const string PropertiesStored = "cluster.properties_stored";

    public const string UnsafeWqlValue = "wql.unsafe_value";

    public const string MethodFailed = "hyperv.method_failed";
    public const string InvalidState = "hyperv.invalid_state";
    public const string JobFailed = "hyperv.job_failed";
    public const string JobTimeout = "hyperv.job_timeout";
    public const string StateTimeout = "hyperv.state_timeout";
    public const string VmNotFound = "hyperv.vm_not_found";
    public const string VmAmbiguous = "hyperv.vm_ambiguous";
    public const string VmNotOff = "hyperv.vm_not_off";
    public const string GpuNotFound = "hyperv.gpu_not_found";
    public const string InvalidPartitionCount = "hyperv.invalid_partition_count";
    public const string PartitionsAssigned = "hyperv.partitions_assigned";
    public const string VmHasPartition = "hyperv.vm_has_partition";
    public const string NoFreePartition = "hyperv.no_free_partition";
    public const string AdapterNotFound = "hyperv.adapter_not_found";
    public const string TemplateNotFound = "hyperv.template_not_found";
    public const string InvalidMmio = "hyperv.invalid_mmio";

    public const string ClusterResourceNotFound = "cluster.resource_not_found";
    public const string InvalidOfflineAction = "cluster.invalid_offline_action";
}
