namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// A Msvm_PartitionableGpu as captured, in its raw CIM types: the uint16 valid counts and the twenty uint64
/// Total/Available/Min/Max/OptimalPartition × VRAM/Encode/Decode/Compute values, in whatever units the driver
/// reported (bytes on server GPU-P, relative units on client GPU-PV: fidelity audit row 8).
/// </summary>
/// <param name="PnpName">Its Win32_PnPEntity Name; null when PnP listed no device for it.</param>
/// <param name="RunningPartitions">Partitions held by running VMs when captured: Available* is relative to these.</param>
/// <param name="DriverProvider">Win32_PnPSignedDriver.DriverProviderName of its driver; null when none was listed.</param>
public sealed record GpuCapture(
    IReadOnlyList<ushort> ValidPartitionCounts,
    IReadOnlyDictionary<string, ulong> Values,
    string? PnpName,
    string? PnpManufacturer,
    int RunningPartitions,
    string? DriverProvider = null);
