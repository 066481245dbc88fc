using System.Text.Json.Serialization.Metadata;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.Contracts.Messaging;

/// <summary>The message types of schema version 1 and the JSON contract of each body.</summary>
public static class MessageTypes
{
    public const string AssignPartition = "AssignPartition";
    public const string UnassignPartition = "UnassignPartition";
    public const string ConfigurePartitionCount = "ConfigurePartitionCount";
    public const string SetOfflineAction = "SetOfflineAction";
    public const string CollectInventory = "CollectInventory";
    public const string MoveVm = "MoveVm";
    public const string CommandResult = "CommandResult";
    public const string CommandProgress = "CommandProgress";
    public const string InventorySnapshot = "InventorySnapshot";
    public const string ClusterEvent = "ClusterEvent";

    public static IReadOnlyList<string> AllCommands { get; } =
        [AssignPartition, UnassignPartition, ConfigurePartitionCount, SetOfflineAction, CollectInventory, MoveVm];

    public static IReadOnlyList<string> AllReports { get; } =
        [CommandResult, CommandProgress, InventorySnapshot, ClusterEvent];

    public static bool IsCommand(string? type) => type is not null && AllCommands.Contains(type, StringComparer.Ordinal);

    public static bool IsKnown(string? type) => type is not null && (IsCommand(type) || AllReports.Contains(type, StringComparer.Ordinal));

    public static string NameOf(IMessageBody body) => body switch
    {
        Commands.AssignPartition => AssignPartition,
        Commands.UnassignPartition => UnassignPartition,
        Commands.ConfigurePartitionCount => ConfigurePartitionCount,
        Commands.SetOfflineAction => SetOfflineAction,
        Commands.CollectInventory => CollectInventory,
        Commands.MoveVm => MoveVm,
        Reports.CommandResult => CommandResult,
        Reports.CommandProgress => CommandProgress,
        Reports.InventorySnapshot => InventorySnapshot,
        Reports.ClusterEvent => ClusterEvent,
        _ => throw new ArgumentException($"{body?.GetType().Name ?? "null"} is not a message body of schema version 1.", nameof(body)),
    };

    /// <summary>The source-generated JSON contract of a body type; null for an unknown type name.</summary>
    internal static JsonTypeInfo? BodyTypeInfo(string type)
    {
        var json = ContractsJsonContext.Default;
        return type switch
        {
            AssignPartition => json.AssignPartition,
            UnassignPartition => json.UnassignPartition,
            ConfigurePartitionCount => json.ConfigurePartitionCount,
            SetOfflineAction => json.SetOfflineAction,
            CollectInventory => json.CollectInventory,
            MoveVm => json.MoveVm,
            CommandResult => json.CommandResult,
            CommandProgress => json.CommandProgress,
            InventorySnapshot => json.InventorySnapshot,
            ClusterEvent => json.ClusterEvent,
            _ => null,
        };
    }
}
