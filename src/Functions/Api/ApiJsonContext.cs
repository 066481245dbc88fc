using System.Text.Json;
using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Api;

/// <summary>API request and response bodies: camelCase, unknown members refused, required members enforced.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(PartitionCountChange))]
[JsonSerializable(typeof(RolloutPlanBody))]
[JsonSerializable(typeof(RolloutPlanView))]
[JsonSerializable(typeof(RolloutRunView))]
[JsonSerializable(typeof(PartitionRequestBody))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(ClusterListView))]
[JsonSerializable(typeof(InventoryView))]
[JsonSerializable(typeof(HeadroomView))]
[JsonSerializable(typeof(PartitionRequestView))]
[JsonSerializable(typeof(PartitionRequestListView))]
[JsonSerializable(typeof(PartitionCountChangeView))]
[JsonSerializable(typeof(ComplianceView))]
[JsonSerializable(typeof(ComplianceReportView))]
[JsonSerializable(typeof(NodeRegistrationBody))]
[JsonSerializable(typeof(NodeRegistrationView))]
[JsonSerializable(typeof(NodeRegistrationListView))]
[JsonSerializable(typeof(RejectedMessageListView))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(NodeRefusalView[]))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
