using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.Messaging.Topology;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Partitioning;

/// <summary>The one place a request becomes its command: a new command id, the wire message, and the outbox row that carries it.</summary>
public sealed class RequestCommands(IIdSource ids, IOptions<ControlPlaneOptions> options)
{
    private readonly TimeSpan _timeToLive = options.Value.CommandTimeToLive;

    /// <summary>The request with a new command id, and the outbox row that carries its command.</summary>
    public (PartitionRequest Request, OutboxEntry Outbox) WithCommand(PartitionRequest request, PowerAfterChange powerAfter, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var withCommand = request with { CommandId = ids.NewId() };
        var command = Command(withCommand, powerAfter, now);
        return (withCommand, new OutboxEntry(request.Cluster, request.Node, withCommand.CommandId!, request.Id, QueueNames.Commands(request.Cluster, request.Node), MessageCodec.Encode(command), now, ControlPlaneTelemetry.CurrentTraceParent()));
    }

    private Message Command(PartitionRequest request, PowerAfterChange powerAfter, DateTimeOffset now)
    {
        ICommand body = request.Action switch
        {
            PartitionAction.Assign => new AssignPartition(request.VmName!, request.VmId, request.GpuInstancePaths.FirstOrDefault(), request.OfflineAction ?? OfflineAction.ForceShutdown, powerAfter),
            PartitionAction.Unassign => new UnassignPartition(request.VmName!, request.VmId, request.OfflineAction ?? OfflineAction.ForceShutdown, powerAfter),
            PartitionAction.SetOfflineAction => new SetOfflineAction(request.VmName!, request.OfflineAction ?? OfflineAction.ForceShutdown, request.VmId),
            // A placement's move: a running VM the move has to shut down stays off, since the assignment that follows
            // needs it off and starts it (Placement.PlacementChooser says why each mode is chosen).
            PartitionAction.Move => new MoveVm(request.VmName!, request.VmId!.Value, request.Placement!.ToNode, request.Placement.Mode, LiveMigrationFallback.StopMoveStart, PowerAfterChange.LeaveOff),
            _ => new ConfigurePartitionCount(request.GpuInstancePaths, request.PartitionCount!.Value),
        };
        return Message.Create(body, request.CommandId!, request.Cluster, request.Node, now, request.Id, now + _timeToLive);
    }
}
