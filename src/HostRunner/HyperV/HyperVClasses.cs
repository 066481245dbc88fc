namespace GpuAutomation.HostRunner.HyperV;

/// <summary>The root\virtualization\v2 class names and constants the operations use (see reference/hyperv-wmi.md).</summary>
public static class HyperVClasses
{
    public const string PartitionableGpu = "Msvm_PartitionableGpu";
    public const string ComputerSystem = "Msvm_ComputerSystem";
    public const string VirtualSystemSettingData = "Msvm_VirtualSystemSettingData";
    public const string VirtualSystemSettingDataComponent = "Msvm_VirtualSystemSettingDataComponent";
    public const string GpuPartitionSettingData = "Msvm_GpuPartitionSettingData";
    public const string GpuPartition = "Msvm_GpuPartition";
    public const string ManagementService = "Msvm_VirtualSystemManagementService";
    public const string ShutdownComponent = "Msvm_ShutdownComponent";
    public const string ConcreteJob = "Msvm_ConcreteJob";
    public const string ResourcePool = "Msvm_ResourcePool";
    public const string AllocationCapabilities = "Msvm_AllocationCapabilities";
    public const string ElementCapabilities = "Msvm_ElementCapabilities";
    public const string SettingsDefineCapabilities = "Msvm_SettingsDefineCapabilities";

    public const string GpuPartitionSubType = "Microsoft:Hyper-V:GPU Partition";
    public const ushort GpuPartitionResourceType = 32770;
    public const string RealizedSystemType = "Microsoft:Hyper-V:System:Realized";

    /// <summary>The twelve Min/Max/Optimal values of a GPU partition adapter.</summary>
    public static readonly IReadOnlyList<string> PartitionValueProperties =
    [
        "MinPartitionVRAM", "MaxPartitionVRAM", "OptimalPartitionVRAM",
        "MinPartitionEncode", "MaxPartitionEncode", "OptimalPartitionEncode",
        "MinPartitionDecode", "MaxPartitionDecode", "OptimalPartitionDecode",
        "MinPartitionCompute", "MaxPartitionCompute", "OptimalPartitionCompute",
    ];
}
