using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Commands;

/// <summary>Set the partition count of GPUs on the node.</summary>
/// <param name="GpuInstancePaths">The GPUs to change; empty means every partitionable GPU on the node.</param>
/// <param name="PartitionCount">Must be one of each GPU's valid partition counts.</param>
public sealed record ConfigurePartitionCount(
    IReadOnlyList<string> GpuInstancePaths,
    int PartitionCount) : ICommand
{
    /// <summary>Hyper-V GPUs expose at most a few dozen partitions; anything larger is a typo.</summary>
    public const int MaxPartitionCount = 64;

    public void Validate(FieldCheck check)
    {
        check.That(PartitionCount is >= 1 and <= MaxPartitionCount, "partitionCount", $"{PartitionCount} is outside 1..{MaxPartitionCount}");
        check.That(GpuInstancePaths.Count <= 64, "gpuInstancePaths", "names more than 64 GPUs");
        check.That(GpuInstancePaths.All(p => p.Length is > 0 and <= 512), "gpuInstancePaths", "each path must be 1 to 512 characters");
    }
}
