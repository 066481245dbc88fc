using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Hosting;

[JsonSerializable(typeof(string))]
internal sealed partial class InvocationValueJsonContext : JsonSerializerContext;
