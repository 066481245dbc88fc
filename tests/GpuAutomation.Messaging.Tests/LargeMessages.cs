using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.Messaging.Tests;

/// <summary>Messages at the size limits: a full node's inventory, and a body that fits only without its properties.</summary>
internal static class LargeMessages
{
    /// <summary>Hyper-V's maximum of running VMs per host (learn.microsoft.com, "Plan for Hyper-V scalability in Windows Server").</summary>
    public const int MaxVmsPerHost = 1024;

    private static readonly DateTimeOffset IssuedAt = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The inventory snapshot of a node with 1,024 VMs, a quarter of them with a GPU partition.</summary>
    public static Message FullNodeInventory(string messageId)
    {
        const string gpuPath = @"\\?\PCI#VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1#4&18416dc3&0&0000#{064092b3-625e-43bf-9eb5-dc845897dd59}";
        var vms = Enumerable.Range(0, MaxVmsPerHost).Select(i =>
        {
            var id = new Guid(i, 0x1234, 0x4567, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67);
            IReadOnlyList<PartitionAdapter> adapters = i % 4 == 0
                ? [new PartitionAdapter($"Microsoft:{id.ToString().ToUpperInvariant()}\\GpuPartition\\0", gpuPath, 0, "0x1A2B")]
                : [];
            return new VmInventory($"tenant-{i / 64:D2}-vm-{i:D4}", id, VmPowerState.Running, "node1", adapters, IsClustered: true, OfflineAction.ForceShutdown, $"owner=team-{i % 17:D2}; cost-center=cc-{i % 9:D4}; gpu-partition={(i % 4 == 0 ? "true" : "false")}");
        }).ToList();
        var inventory = new NodeInventory("node1", IssuedAt, new HostFacts("10.0.26100.2605", SriovSupported: true, IommuSupported: true), [], vms);
        return Message.Create(new InventorySnapshot(inventory), messageId, "cluster1", "node1", IssuedAt, "request-1");
    }

    /// <summary>
    /// A message whose wire body is just under <see cref="Message.MaxEncodedBytes"/>, so that only its properties push
    /// the whole message over: random notes, which gzip cannot shrink much, sized by bisection.
    /// </summary>
    public static Message BodyAtTheLimit(string messageId)
    {
        var random = new Random(15);
        var alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var notes = new string(Enumerable.Range(0, 600_000).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
        Message With(int length) => Message.Create(new ClusterEvent(ClusterEventKind.VmCreated, "node1", IssuedAt, "vm1", Guid.Empty, Notes: notes[..length]), messageId, "cluster1", "node1", IssuedAt, "request-1");
        int WireLength(int length)
        {
            try
            {
                return MessageCodec.EncodeForWire(With(length)).Bytes.Length;
            }
            catch (MessageFormatException)
            {
                return int.MaxValue;
            }
        }

        var (low, high) = (1, notes.Length);
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (WireLength(middle) <= Message.MaxEncodedBytes - 64)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return With(low);
    }
}
