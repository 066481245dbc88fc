using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Functions.Capacity;
using GpuAutomation.Functions.Composition;
using GpuAutomation.Functions.Inventory;
using GpuAutomation.Functions.Outbox;
using GpuAutomation.Functions.Storage;
using GpuAutomation.Messaging.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GpuAutomation.Functions.Partitioning;

/// <summary>
/// Submits partition requests (assign, unassign, partition count change) and reads them back. A submission is
/// validated against stored inventory, then either stored as Rejected (nothing sent) or stored as Accepted together
/// with its capacity reservation and outbox row in one batch and handed to the <see cref="DispatchQueue"/>: the
/// answer is the Accepted request, and the relay publishes its command and marks it Dispatched right after.
/// </summary>
public sealed partial class PartitionRequestService(
    InventoryStore inventory,
    RequestStore requests,
    DispatchQueue dispatches,
    IIdSource ids,
    TimeProvider time,
    IOptions<ControlPlaneOptions> options,
    ILogger<PartitionRequestService> logger)
{
    private readonly ControlPlaneOptions _options = options.Value;

    public async Task<SubmitOutcome> SubmitAsync(PartitionRequestSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var now = time.GetUtcNow();
        var id = ids.NewId();
        // Claiming the idempotency key and reading the inventory don't depend on each other: both go at once.
        var claim = submission.IdempotencyKey is { Length: > 0 } key
            ? requests.ClaimIdempotencyKeyAsync(key, submission.Cluster, id, now, _options.IdempotencyClaimTimeout, cancellationToken)
            : Task.FromResult<string?>(null);
        var inventoryRead = ResourceNames.IsValidHostName(submission.Cluster)
            ? inventory.GetClusterAsync(submission.Cluster, cancellationToken)
            : Task.FromResult(new ClusterInventory(submission.Cluster, []));
        await Task.WhenAll(claim, inventoryRead);
        if (await claim is { } holder)
        {
            var existing = await requests.GetAsync(holder, cancellationToken)
                ?? throw new PartitionRequestException(RequestCodes.IdempotencyKeyInFlight, $"Request {holder} with idempotency key '{submission.IdempotencyKey}' is still being written; retry shortly.");
            return new SubmitOutcome(existing.Request, IsExisting: true);
        }

        var clusterInventory = await inventoryRead;
        var validation = PartitionRequestValidator.Validate(submission, clusterInventory, now, _options.InventoryMaxAge);
        var request = new PartitionRequest(
            id,
            submission.IdempotencyKey,
            submission.Cluster,
            validation.Node,
            submission.Action,
            validation.VmName,
            validation.VmId,
            submission.PartitionCount,
            validation.GpuInstancePaths,
            submission.Origin,
            submission.RequestedBy,
            RequestStatus.Accepted,
            now,
            now,
            null,
            null,
            validation.Warnings,
            [],
            null,
            submission.Action is PartitionAction.ConfigurePartitionCount ? null : submission.OfflineAction);
        if (validation.Rejection is { } rejection)
        {
            return await RejectAsync(request, rejection, cancellationToken);
        }

        var node = clusterInventory.FindNode(validation.Node)!;
        var (accepted, entry, refusal) = await OptimisticRetry.RunAsync(_options.MaxConcurrencyAttempts, $"Accepting request {id}", async () =>
        {
            // Admit on the ledger as last seen; a refusal is only final on a fresh read (another instance may have
            // released capacity since), and an acceptance is checked by the batch's condition on the ledger's ETag.
            // A node without a stored ledger starts from its inventory.
            StoredLedger OrFromInventory(StoredLedger? stored) => stored ?? new StoredLedger(NodeLedger.FromInventory(request.Cluster, node), null);
            var ledger = OrFromInventory(await requests.GetRecentLedgerAsync(request.Cluster, request.Node, cancellationToken));
            if (ledger.Ledger.Admit(request) is not null)
            {
                ledger = OrFromInventory(await requests.GetLedgerAsync(request.Cluster, request.Node, cancellationToken));
                if (ledger.Ledger.Admit(request) is { } notice)
                {
                    return (default(StoredRequest), (OutboxEntry?)null, notice);
                }
            }

            var commandId = ids.NewId();
            var withCommand = request with { CommandId = commandId };
            var command = Command(withCommand, submission.PowerAfter, now);
            var outbox = new OutboxEntry(request.Cluster, request.Node, commandId, id, QueueNames.Commands(request.Cluster, request.Node), MessageCodec.Encode(command), now);
            var written = await requests.CreateAsync(withCommand, ledger with { Ledger = ledger.Ledger.Reserve(withCommand) }, outbox, cancellationToken);
            return (written, outbox, (RequestNotice?)null);
        });

        if (refusal is not null)
        {
            return await RejectAsync(request, refusal, cancellationToken);
        }

        LogAccepted(logger, accepted!.Request.Id, accepted.Request.Action, accepted.Request.Cluster, accepted.Request.Node, accepted.Request.VmName, accepted.Request.CommandId);
        dispatches.Enqueue(new PendingDispatch(entry!, accepted));
        return new SubmitOutcome(accepted.Request, IsExisting: false);
    }

    public async Task<PartitionRequest?> GetAsync(string requestId, CancellationToken cancellationToken)
        => (await requests.GetAsync(requestId, cancellationToken))?.Request;

    public Task<RequestPage> ListAsync(RequestListQuery query, CancellationToken cancellationToken)
        => requests.ListAsync(query, cancellationToken);

    private async Task<SubmitOutcome> RejectAsync(PartitionRequest request, RequestNotice rejection, CancellationToken cancellationToken)
    {
        var rejected = request with { Status = RequestStatus.Rejected, Error = rejection, CompletedAt = request.CreatedAt };
        await requests.CreateAsync(rejected, null, null, cancellationToken);
        LogRejected(logger, rejected.Id, rejected.Action, rejected.Cluster, rejection.Code, rejection.Message);
        return new SubmitOutcome(rejected, IsExisting: false);
    }

    private Message Command(PartitionRequest request, PowerAfterChange powerAfter, DateTimeOffset now)
    {
        ICommand body = request.Action switch
        {
            PartitionAction.Assign => new AssignPartition(request.VmName!, request.VmId, request.GpuInstancePaths.FirstOrDefault(), request.OfflineAction ?? OfflineAction.ForceShutdown, powerAfter),
            PartitionAction.Unassign => new UnassignPartition(request.VmName!, request.VmId, request.OfflineAction ?? OfflineAction.ForceShutdown, powerAfter),
            PartitionAction.SetOfflineAction => new SetOfflineAction(request.VmName!, request.OfflineAction ?? OfflineAction.ForceShutdown, request.VmId),
            _ => new ConfigurePartitionCount(request.GpuInstancePaths, request.PartitionCount!.Value),
        };
        return Message.Create(body, request.CommandId!, request.Cluster, request.Node, now, request.Id, now + _options.CommandTimeToLive);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Accepted request {RequestId}: {Action} on {Cluster}/{Node} for VM {VmName}, command {CommandId}")]
    private static partial void LogAccepted(ILogger logger, string requestId, PartitionAction action, string cluster, string node, string? vmName, string? commandId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected request {RequestId}: {Action} on {Cluster}: {Code} {Reason}")]
    private static partial void LogRejected(ILogger logger, string requestId, PartitionAction action, string cluster, string code, string reason);
}
