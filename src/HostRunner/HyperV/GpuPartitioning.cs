using GpuAutomation.HostRunner.Cim;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>The host's partitionable GPUs (Get-/Set-VMHostPartitionableGpu).</summary>
public sealed partial class GpuPartitioning(ICimClient cim, ILogger<GpuPartitioning> logger)
{
    public async Task<IReadOnlyList<PartitionableGpu>> ListAsync(CancellationToken cancellationToken)
    {
        var instances = await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.PartitionableGpu), cancellationToken);
        return [.. instances.Select(PartitionableGpu.From)];
    }

    public async Task<PartitionableGpu> GetAsync(string instancePath, CancellationToken cancellationToken)
        => PartitionableGpu.From(await GetInstanceAsync(instancePath, cancellationToken));

    /// <summary>The Msvm_GpuPartition devices carved from GPUs, i.e. which VM holds which partition.</summary>
    public async Task<IReadOnlyList<GpuPartitionDevice>> ListPartitionsAsync(CancellationToken cancellationToken)
    {
        var instances = await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.GpuPartition), cancellationToken);
        return [.. instances.Select(GpuPartitionDevice.From)];
    }

    /// <summary>
    /// Ensures the GPU has <paramref name="count"/> partitions. A no-op when it already has; refused when the count
    /// is not one of the GPU's valid counts or when any of its partitions is held by a VM. Returns whether it changed.
    /// </summary>
    public async Task<bool> SetPartitionCountAsync(string instancePath, int count, CancellationToken cancellationToken)
    {
        var instance = await GetInstanceAsync(instancePath, cancellationToken);
        var gpu = PartitionableGpu.From(instance);
        if (gpu.PartitionCount == count)
        {
            return false;
        }

        if (!gpu.ValidPartitionCounts.Contains(count))
        {
            throw new CimException(
                CimErrors.InvalidPartitionCount,
                $"GPU partition count {count} is not one of the valid counts {string.Join(", ", gpu.ValidPartitionCounts)} for GPU {instancePath}.");
        }

        var held = (await ListPartitionsAsync(cancellationToken))
            .Where(p => string.Equals(p.GpuInstancePath, instancePath, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (held.Count > 0)
        {
            throw PartitionsAssigned(instancePath, gpu.PartitionCount, count, held);
        }

        try
        {
            await cim.ModifyInstanceAsync(instance.With("PartitionCount", new CimValue.UInt16((ushort)count)), cancellationToken);
        }
        catch (CimException e) when (e.Code != CimErrors.PartitionsAssigned)
        {
            // The provider's error for "partitions assigned" is not documented: decide from what is assigned now.
            var heldNow = (await ListPartitionsAsync(cancellationToken))
                .Where(p => string.Equals(p.GpuInstancePath, instancePath, StringComparison.OrdinalIgnoreCase))
                .ToList();
            if (heldNow.Count > 0)
            {
                throw PartitionsAssigned(instancePath, gpu.PartitionCount, count, heldNow);
            }

            throw;
        }

        LogCountSet(instancePath, gpu.PartitionCount, count);
        return true;
    }

    private async Task<CimInstance> GetInstanceAsync(string instancePath, CancellationToken cancellationToken)
    {
        var instances = await cim.QueryAsync(
            CimNamespaces.Virtualization,
            Wql.Select(HyperVClasses.PartitionableGpu, Wql.Equal("Name", instancePath)),
            cancellationToken);
        return instances.Count == 1
            ? instances[0]
            : throw new CimException(CimErrors.GpuNotFound, $"No partitionable GPU {instancePath} on this host.");
    }

    private static CimException PartitionsAssigned(string gpu, int current, int requested, IReadOnlyList<GpuPartitionDevice> held)
        => new(
            CimErrors.PartitionsAssigned,
            $"Can't change GPU {gpu} from {current} to {requested} partitions: {held.Count} partition(s) are assigned to VM(s) {string.Join(", ", held.Select(h => h.VmId))}.");

    [LoggerMessage(EventId = 1330, Level = LogLevel.Information, Message = "Set partition count of GPU {Gpu} from {Previous} to {Count}")]
    private partial void LogCountSet(string gpu, int previous, int count);
}
