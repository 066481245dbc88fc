using System.Globalization;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.Cluster;

/// <summary>
/// The failover cluster's groups and nodes (root\MSCluster): where a clustered VM's role is, whether a node takes
/// groups, moving a group (quick) or live-migrating the VM in it, and bringing a group online wherever it is.
/// Sources for every call are in README.md beside this file.
/// </summary>
public sealed partial class ClusterGroups(ICimClient cim, HyperVOptions options, TimeProvider time, ILogger<ClusterGroups> logger)
{
    public const string GroupClass = "MSCluster_ResourceGroup";
    public const string NodeClass = "MSCluster_Node";
    public const string MoveToNewNode = "MoveToNewNode";
    public const string MoveToNewNodeParams = "MoveToNewNodeParams";
    public const string BringOnline = "BringOnline";

    /// <summary>The group named <paramref name="name"/>, or null when the cluster has none.</summary>
    public async Task<ClusterGroup?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var found = await cim.QueryAsync(CimNamespaces.Cluster, Wql.Select(GroupClass, Wql.Equal("Name", name)), cancellationToken);
        return found.Count == 0 ? null : ToGroup(found[0]);
    }

    /// <summary>The node's cluster state, or null when the cluster has no node of that name.</summary>
    public async Task<ClusterNodeState?> NodeStateAsync(string node, CancellationToken cancellationToken)
    {
        var found = await cim.QueryAsync(CimNamespaces.Cluster, Wql.Select(NodeClass, Wql.Equal("Name", node)), cancellationToken);
        if (found.Count == 0)
        {
            return null;
        }

        var state = SignedOf(found[0].Get("State"));
        return state is >= -1 and <= 3 ? (ClusterNodeState)state : ClusterNodeState.Unknown;
    }

    /// <summary>
    /// Moves <paramref name="group"/> to <paramref name="target"/> and waits until the target owns it and it is no
    /// longer pending. Live: MoveToNewNodeParams with the "Virtual Machine" = 4 (live migration) property list; quick:
    /// MoveToNewNode. A move already under way (ERROR_CLUSTER_GROUP_MOVING, e.g. started by the run before a crash) is
    /// waited for, not repeated. Returns the group as it ended.
    /// </summary>
    /// <exception cref="CimException">The cluster refused or failed the move (its Win32 code in NativeCode), or it did not finish in time.</exception>
    public async Task<ClusterGroup> MoveAsync(ClusterGroup group, string target, bool live, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        var timeoutSeconds = (uint)Math.Clamp(options.JobTimeout.TotalSeconds, 1, uint.MaxValue);
        var (method, parameters) = live
            ? (MoveToNewNodeParams, new Dictionary<string, CimValue?>
            {
                ["NodeName"] = new CimValue.Text(target),
                ["Parameters"] = new CimValue.UInt8Array(ClusterPropertyList.Dword(ClusterPropertyList.VirtualMachineProperty, ClusterPropertyList.ContextLiveMigration)),
                ["Flags"] = new CimValue.UInt32(0),
            })
            : (MoveToNewNode, new Dictionary<string, CimValue?>
            {
                ["NodeName"] = new CimValue.Text(target),
                ["TimeOut"] = new CimValue.UInt32(timeoutSeconds),
            });
        try
        {
            var result = await cim.InvokeMethodAsync(group.Path, method, parameters, cancellationToken);
            if (result.ReturnValue != 0)
            {
                // The methods are declared void; a provider that answers with a value other than 0 reports a failure.
                throw new CimException(CimErrors.MethodFailed, Inv($"{GroupClass}.{method} of '{group.Name}' to {target} returned {result.ReturnValue}."), result.ReturnValue);
            }
        }
        catch (CimException e) when (ClusterWin32Errors.Win32Of(e.NativeCode) == ClusterWin32Errors.ClusterGroupMoving)
        {
            LogAlreadyMoving(group.Name, target);
        }

        LogMoveRequested(group.Name, group.OwnerNode, target, method);
        return await WaitAsync(group.Name, g => g.IsOwnedBy(target) && g.State != ClusterGroupState.Pending, Inv($"group '{group.Name}' owned by {target}"), cancellationToken);
    }

    /// <summary>Brings <paramref name="group"/> online where it is (BringOnline); false when it was online already.</summary>
    public async Task<bool> BringOnlineAsync(ClusterGroup group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (group.State == ClusterGroupState.Online)
        {
            return false;
        }

        var timeoutSeconds = (uint)Math.Clamp(options.StateTimeout.TotalSeconds, 1, uint.MaxValue);
        var result = await cim.InvokeMethodAsync(group.Path, BringOnline, new Dictionary<string, CimValue?> { ["TimeOut"] = new CimValue.UInt32(timeoutSeconds) }, cancellationToken);
        if (result.ReturnValue != 0)
        {
            throw new CimException(CimErrors.MethodFailed, Inv($"{GroupClass}.{BringOnline} of '{group.Name}' returned {result.ReturnValue}."), result.ReturnValue);
        }

        await WaitAsync(group.Name, g => g.State == ClusterGroupState.Online, Inv($"group '{group.Name}' online"), cancellationToken);
        return true;
    }

    private async Task<ClusterGroup> WaitAsync(string name, Func<ClusterGroup, bool> done, string what, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + options.JobTimeout;
        while (true)
        {
            var group = await GetAsync(name, cancellationToken)
                ?? throw new CimException(CimErrors.NotFound, $"Cluster group '{name}' disappeared while waiting for it to be {what}.");
            if (done(group))
            {
                return group;
            }

            // A failed group does not recover by itself: report it rather than wait out the timeout.
            if (group.State == ClusterGroupState.Failed)
            {
                throw new CimException(CimErrors.Failed, Inv($"Cluster group '{name}' failed on {group.OwnerNode} while waiting for it to be {what}."));
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new CimException(ClusterMoveTimeout, Inv($"Cluster group '{name}' is {group.State} on {group.OwnerNode} after {options.JobTimeout.TotalSeconds:0} s, not {what}."));
            }

            await Task.Delay(options.StatePollInterval, time, cancellationToken);
        }
    }

    /// <summary>The code a wait that ran out reports (CimFailureCodes passes it through unchanged).</summary>
    public const string ClusterMoveTimeout = "cluster-move-timeout";

    private static ClusterGroup ToGroup(CimInstance instance)
    {
        var raw = SignedOf(instance.Get("State"));
        var state = raw switch
        {
            >= 0 and <= 4 => (ClusterGroupState)raw,
            >= 206 and <= 210 => (ClusterGroupState)(raw - 206),
            _ => ClusterGroupState.Unknown,
        };
        return new ClusterGroup(instance.RequireString("Name"), instance.GetString("OwnerNode"), state, instance.Path);
    }

    private static long SignedOf(CimValue? value) => value switch
    {
        CimValue.UInt32 v => unchecked((int)v.Value),
        CimValue.UInt16 v => v.Value,
        CimValue.UInt64 v => unchecked((long)v.Value),
        CimValue.SInt32 v => v.Value,
        _ => -1,
    };

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 1410, Level = LogLevel.Information, Message = "Asked the cluster to move group {Group} from {Source} to {Target} ({Method})")]
    private partial void LogMoveRequested(string group, string? source, string target, string method);

    [LoggerMessage(EventId = 1411, Level = LogLevel.Information, Message = "Cluster group {Group} is already moving (to {Target}): waiting for it instead of asking again")]
    private partial void LogAlreadyMoving(string group, string target);
}
