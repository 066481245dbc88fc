using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.Contracts.Tests;

/// <summary>One fixed, fully populated message of every type: the golden samples.</summary>
public static class SampleMessages
{
    public const string GpuPath = @"\\?\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#4&18416dc3&0&0000#{064092b3-625e-43bf-9eb5-dc845897dd59}";

    public static readonly DateTimeOffset IssuedAt = new(2026, 11, 24, 9, 30, 0, TimeSpan.Zero);
    public static readonly Guid VmId = Guid.Parse("6f1c8a52-3c1e-4f5e-9a7b-2d0c1e4b8a11");

    public static IReadOnlyList<Message> All { get; } =
    [
        Command(new AssignPartition("gpu-vm-01", VmId, GpuPath, OfflineAction.ForceShutdown, PowerAfterChange.RestorePrevious)),
        Command(new UnassignPartition("gpu-vm-01", VmId)),
        Command(new ConfigurePartitionCount([GpuPath], 4)),
        Command(new SetOfflineAction("gpu-vm-01", OfflineAction.ForceShutdown, VmId)),
        Command(new CollectInventory()),
        Report(new CommandResult(
            "cmd-0001",
            MessageTypes.AssignPartition,
            CommandOutcome.Failed,
            [
                new StepRecord("ensure-offline-action", StepOutcome.AlreadyDone, IssuedAt.AddSeconds(1), IssuedAt.AddSeconds(1.2)),
                new StepRecord("add-partition-adapter", StepOutcome.Failed, IssuedAt.AddSeconds(2), IssuedAt.AddSeconds(5), "job failed"),
            ],
            new CommandError("hyperv-job-failed", "Adding the GPU partition adapter to gpu-vm-01 failed: 32768.", "add-partition-adapter", 32768, "Failed to add device 'GPU Partition'."),
            Inventory(),
            IssuedAt.AddSeconds(1),
            IssuedAt.AddSeconds(9))),
        Report(new CommandProgress("cmd-0001", MessageTypes.AssignPartition, new StepRecord("stop-vm", StepOutcome.Succeeded, IssuedAt, IssuedAt.AddSeconds(3)), IssuedAt.AddSeconds(3))),
        Report(new InventorySnapshot(Inventory())),
        Report(new ClusterEvent(ClusterEventKind.VmMoved, "node2", IssuedAt, "gpu-vm-01", VmId, "node1", VmPowerState.Running)),
    ];

    public static Message Sample(string type) => All.Single(m => m.Envelope.MessageType == type);

    public static NodeInventory Inventory() => new(
        "node1",
        IssuedAt,
        new HostFacts(
            "10.0.26100.2605",
            SriovSupported: true,
            IommuSupported: true,
            IovSupport: true,
            IovSupportReasons: null,
            OsCaption: "Microsoft Azure Stack HCI",
            OsSku: 406,
            GpuPPrerequisiteProblems: []),
        [
            new GpuInventory(
                GpuPath,
                @"PCI\VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1\4&18416dc3&0&0000",
                "NVIDIA",
                "NVIDIA A2",
                16384,
                "OK",
                0,
                GpuAssignedStatus.Partitioned,
                [16, 8, 4, 2],
                4,
                new GpuResources(
                    new PartitionResource(1_000_000_000, 750_000_000, 250_000_000, 250_000_000, 250_000_000),
                    new PartitionResource(ulong.MaxValue, ulong.MaxValue / 4 * 3, ulong.MaxValue / 4, ulong.MaxValue / 4, ulong.MaxValue / 4),
                    new PartitionResource(1_000_000_000, 750_000_000, 250_000_000, 250_000_000, 250_000_000),
                    new PartitionResource(1_000_000_000, 750_000_000, 250_000_000, 250_000_000, 250_000_000)),
                [new GpuPartitionAssignment(0, "gpu-vm-01", VmId, "0x1A2B")],
                new GpuDriver("32.0.15.5324", "NVIDIA", "553.24", "Host VGPU", "SR-IOV"),
                new GpuUtilization(37, 12, 2048)),
        ],
        [
            new VmInventory(
                "gpu-vm-01",
                VmId,
                VmPowerState.Running,
                "node1",
                [new PartitionAdapter($"Microsoft:{VmId.ToString().ToUpperInvariant()}\\GpuPartition\\0", GpuPath, 0, "0x1A2B")],
                IsClustered: true,
                OfflineAction.ForceShutdown,
                "gpu-partition=true"),
        ]);

    private static Message Command(ICommand body)
        => Message.Create(body, "cmd-" + MessageTypes.NameOf(body), "cluster1", "node1", IssuedAt, "req-0001", IssuedAt.AddMinutes(15));

    private static Message Report(IMessageBody body)
        => Message.Create(body, "rpt-" + MessageTypes.NameOf(body), "cluster1", "node1", IssuedAt, "req-0001");
}
