using System.Text.Json;
using System.Text.Json.Serialization;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.Contracts.Messaging;

/// <summary>Source-generated JSON for everything on the wire: camelCase, enums as names, nullability and required members enforced.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(Envelope))]
[JsonSerializable(typeof(AssignPartition))]
[JsonSerializable(typeof(UnassignPartition))]
[JsonSerializable(typeof(ConfigurePartitionCount))]
[JsonSerializable(typeof(SetOfflineAction))]
[JsonSerializable(typeof(CollectInventory))]
[JsonSerializable(typeof(MoveVm))]
[JsonSerializable(typeof(CommandResult))]
[JsonSerializable(typeof(CommandProgress))]
[JsonSerializable(typeof(InventorySnapshot))]
[JsonSerializable(typeof(NodeInventory))]
[JsonSerializable(typeof(ClusterEvent))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
