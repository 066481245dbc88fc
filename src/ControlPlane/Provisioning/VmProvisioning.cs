using GpuAutomation.ControlPlane;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Reports;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// Turns "a VM was created" into a partition request when the cluster's policy selects the VM. Two signals lead here:
/// an Azure resource event (Event Grid) and a host runner's VmCreated event. Both use the idempotency key
/// provision:&lt;cluster&gt;:&lt;vm id&gt;, so whichever arrives second — or a redelivered event — creates nothing new.
/// </summary>
public sealed partial class VmProvisioning(
    InventoryQueries inventory,
    PolicyStore policies,
    PartitionRequestService requests,
    IAzureLocalVmReader azure,
    ILogger<VmProvisioning> logger) : IClusterEventObserver
{
    public async Task OnClusterEventAsync(string cluster, ClusterEvent clusterEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clusterEvent);
        if (clusterEvent.Kind != ClusterEventKind.VmCreated || clusterEvent.VmName is null || clusterEvent.VmId is null)
        {
            return;
        }

        var policy = await policies.GetEffectiveAsync(cluster, cancellationToken);
        var decision = PolicyMatcher.Decide(policy, new VmFacts(clusterEvent.VmName, clusterEvent.Notes, AzureTags: null));
        await ActAsync(cluster, clusterEvent.VmName, clusterEvent.VmId.Value, decision, RequestOrigin.HostEvent, $"host:{clusterEvent.Node}", cancellationToken);
    }

    /// <summary>
    /// Handles a write of an Azure Local VM's Arc machine or of its VM instance. Creating the VM writes both (machine
    /// first; fidelity audit row 4.1), each raising its own event, and either may arrive first or twice: both lead to
    /// the same idempotency key, so the VM is provisioned once. The VM is matched by the instance's vmId, by name only
    /// when no inventoried VM has that id (whether Azure Local's vmId is the Hyper-V VM id, and whether the machine's
    /// name is the Hyper-V VM's name, are both unconfirmed: audit row 4.5). Throws a retryable
    /// <see cref="ControlPlaneException"/> (vm-not-in-inventory) when no host has reported the VM yet (the caller
    /// should let Event Grid retry).
    /// </summary>
    public async Task<ProvisioningOutcome> OnAzureVmWrittenAsync(string eventId, string resourceId, CancellationToken cancellationToken)
    {
        if (AzureLocalVmResource.TryParse(resourceId) is not { } resource)
        {
            LogIgnored(logger, resourceId, "not an Azure Local VM instance");
            return ProvisioningOutcome.Ignored($"{resourceId} is not an Azure Local VM instance.");
        }

        var facts = await azure.ReadAsync(resource, cancellationToken);
        if (facts is { IsAzureLocalVm: false })
        {
            LogIgnored(logger, resource.VmName, $"its Arc machine is of kind {facts.MachineKind}, not an Azure Local VM");
            return ProvisioningOutcome.Ignored($"{resource.MachineResourceId} is an Arc machine of kind {facts.MachineKind}, not an Azure Local VM.");
        }

        var all = new List<(string Cluster, VmInventory Vm)>();
        foreach (var summary in await inventory.ListClustersAsync(cancellationToken))
        {
            var cluster = await inventory.GetClusterAsync(summary.Cluster, cancellationToken);
            all.AddRange((cluster?.Nodes ?? []).SelectMany(n => n.Vms).Select(vm => (summary.Cluster, vm)));
        }

        var found = facts?.InstanceVmId is { } vmId ? all.Where(f => f.Vm.Id == vmId).ToList() : [];
        if (found.Count == 0)
        {
            found = all.Where(f => string.Equals(f.Vm.Name, resource.VmName, StringComparison.OrdinalIgnoreCase)).ToList();
            if (found.Count > 0 && facts?.InstanceVmId is { } unmatched)
            {
                LogMatchedByName(logger, resource.VmName, unmatched);
            }
        }

        if (found.Count == 0)
        {
            throw new ControlPlaneException(ControlPlaneErrorCodes.VmNotInInventory, $"VM '{resource.VmName}' is not in the inventory of any cluster yet; retry once its host has reported it.", isRetryable: true);
        }

        if (found.Count > 1)
        {
            var where = string.Join(", ", found.Select(f => $"{f.Vm.Id} in {f.Cluster}"));
            LogIgnored(logger, resource.VmName, $"the name is ambiguous ({where})");
            return ProvisioningOutcome.Ignored($"{found.Count} VMs are named '{resource.VmName}' ({where}); event {eventId} can't tell which was created.");
        }

        var (clusterName, vm) = found[0];
        var policy = await policies.GetEffectiveAsync(clusterName, cancellationToken);
        var azureTags = policy.Rules.Any(r => r.NeedsAzureTags) ? facts?.Tags ?? new Dictionary<string, string>() : null;
        var decision = PolicyMatcher.Decide(policy, new VmFacts(vm.Name, vm.Notes, azureTags));
        return await ActAsync(clusterName, vm.Name, vm.Id, decision, RequestOrigin.EventGrid, "event-grid", cancellationToken);
    }

    public static string IdempotencyKey(string cluster, Guid vmId) => $"provision:{cluster.ToLowerInvariant()}:{vmId:N}";

    private async Task<ProvisioningOutcome> ActAsync(
        string cluster,
        string vmName,
        Guid vmId,
        PolicyDecision decision,
        RequestOrigin origin,
        string requestedBy,
        CancellationToken cancellationToken)
    {
        if (decision.Match == PolicyMatch.Undecided)
        {
            LogIgnored(logger, vmName, "a policy rule needs the VM's Azure tags, which arrive with its Azure event");
            return ProvisioningOutcome.Ignored($"A policy rule of {cluster} needs the Azure tags of '{vmName}'.");
        }

        if (decision.Rule is not { } rule)
        {
            LogIgnored(logger, vmName, $"no policy rule of {cluster} selects it");
            return ProvisioningOutcome.Ignored($"No policy rule of {cluster} selects '{vmName}'.");
        }

        var key = IdempotencyKey(cluster, vmId);
        var submission = rule.AssignPartition
            ? PartitionRequestSubmission.Assign(cluster, vmName, vmId, origin, requestedBy, key) with
            {
                OfflineAction = rule.OfflineAction,
                PowerAfter = rule.StartAfter ? PowerAfterChange.Start : PowerAfterChange.RestorePrevious,
            }
            : PartitionRequestSubmission.SetOfflineAction(cluster, vmName, rule.OfflineAction, vmId, origin, requestedBy, key);
        var outcome = await requests.SubmitAsync(submission, cancellationToken);
        var request = outcome.Request;
        LogRequested(logger, vmName, cluster, rule.Name, request.Id, request.Status, outcome.IsExisting);
        return outcome.IsRejected
            ? new ProvisioningOutcome(ProvisioningResult.Rejected, $"Rule '{rule.Name}' selected '{vmName}' but request {request.Id} was rejected: {request.Error?.Message}", request.Id)
            : new ProvisioningOutcome(ProvisioningResult.Requested, $"Rule '{rule.Name}' selected '{vmName}': request {request.Id}.", request.Id);
    }

    [LoggerMessage(EventId = 3400, Level = LogLevel.Information, Message = "Provisioning ignores VM {VmName}: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string vmName, string reason);

    [LoggerMessage(EventId = 3402, Level = LogLevel.Warning, Message = "Provisioning matched VM {VmName} by name: no inventoried VM has its Azure instance's vmId {VmId}")]
    private static partial void LogMatchedByName(ILogger logger, string vmName, Guid vmId);

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Provisioning VM {VmName} of {Cluster} by rule {Rule}: request {RequestId} is {Status} (existing: {IsExisting})")]
    private static partial void LogRequested(ILogger logger, string vmName, string cluster, string rule, string requestId, RequestStatus status, bool isExisting);
}
