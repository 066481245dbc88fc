using System.Text.Json;
using System.Text.Json.Serialization;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Rollout;

namespace GpuAutomation.ControlPlane.Storage;

/// <summary>Source-generated JSON of the documents the stores keep, in the wire contracts' style.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(PartitionRequest))]
[JsonSerializable(typeof(NodeLedger))]
[JsonSerializable(typeof(NodeInventory))]
[JsonSerializable(typeof(ComplianceReport))]
[JsonSerializable(typeof(RolloutPlan))]
[JsonSerializable(typeof(RolloutRun))]
public sealed partial class ControlPlaneJsonContext : JsonSerializerContext;
