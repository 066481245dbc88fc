using System.Text.Json;
using System.Text.Json.Serialization;

namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>Policy documents are strict: unknown fields are refused, so a typo never silently disables a rule.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = false)]
[JsonSerializable(typeof(ProvisioningPolicy))]
public sealed partial class ProvisioningJsonContext : JsonSerializerContext;
