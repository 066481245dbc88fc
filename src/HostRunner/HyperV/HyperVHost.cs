using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Cluster;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.Platform;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>
/// Every host operation wired over one <see cref="ICimClient"/> (MI on a real node, the emulator in tests, the
/// Sandbox and --simulate). The agent takes one of these per node.
/// </summary>
public sealed class HyperVHost
{
    /// <param name="nvidiaSmi">Where the inventory reads <c>nvidia-smi -q -x</c>; null reads no vendor tool.</param>
    public HyperVHost(string node, ICimClient cim, HyperVOptions? options = null, TimeProvider? time = null, ILoggerFactory? loggers = null, INvidiaSmi? nvidiaSmi = null)
    {
        ArgumentNullException.ThrowIfNull(cim);
        options ??= new HyperVOptions();
        time ??= TimeProvider.System;
        loggers ??= NullLoggerFactory.Instance;
        Node = node;
        Cim = cim;
        Options = options;
        var jobs = new HyperVJobs(cim, options, time, loggers.CreateLogger<HyperVJobs>());
        Jobs = jobs;
        Vms = new VirtualMachines(cim);
        Gpus = new GpuPartitioning(cim, loggers.CreateLogger<GpuPartitioning>());
        Adapters = new GpuPartitionAdapters(cim, Vms, Gpus, new ManagementService(cim), jobs, loggers.CreateLogger<GpuPartitionAdapters>());
        Power = new VmPower(cim, Vms, jobs, options, time, loggers.CreateLogger<VmPower>());
        Cluster = new ClusterResources(cim, loggers.CreateLogger<ClusterResources>());
        Groups = new ClusterGroups(cim, options, time, loggers.CreateLogger<ClusterGroups>());
        Devices = new DisplayDevices(cim);
        Drivers = new DisplayDrivers(cim);
        Iov = new IovSupportReader(cim);
        OperatingSystem = new OperatingSystemReader(cim);
        NvidiaSmi = nvidiaSmi;
        Inventory = new HostInventoryReader(node, Vms, Gpus, Adapters, Cluster, Devices, Drivers, Iov, OperatingSystem, nvidiaSmi, time, loggers.CreateLogger<HostInventoryReader>());
    }

    public string Node { get; }

    public ICimClient Cim { get; }

    public HyperVOptions Options { get; }

    public HyperVJobs Jobs { get; }

    public VirtualMachines Vms { get; }

    public GpuPartitioning Gpus { get; }

    public GpuPartitionAdapters Adapters { get; }

    public VmPower Power { get; }

    public ClusterResources Cluster { get; }

    public ClusterGroups Groups { get; }

    public DisplayDevices Devices { get; }

    public DisplayDrivers Drivers { get; }

    public IovSupportReader Iov { get; }

    public OperatingSystemReader OperatingSystem { get; }

    public INvidiaSmi? NvidiaSmi { get; }

    public HostInventoryReader Inventory { get; }
}
