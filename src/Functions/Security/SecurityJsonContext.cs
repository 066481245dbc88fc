using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Security;

[JsonSerializable(typeof(ClientPrincipal))]
internal sealed partial class SecurityJsonContext : JsonSerializerContext;
