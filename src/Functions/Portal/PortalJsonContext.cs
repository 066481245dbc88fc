using System.Text.Json;
using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Portal;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PortalCaller))]
internal sealed partial class PortalJsonContext : JsonSerializerContext;
