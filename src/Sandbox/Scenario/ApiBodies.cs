using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using GpuAutomation.Functions.Api;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>
/// Reads API answers as the API's own records, strictly (ApiJsonContext: unknown members refused, required members
/// enforced): a renamed or dropped member fails the scenario and the end-to-end tests instead of reading as null.
/// </summary>
public static class ApiBodies
{
    public static T Read<T>(JsonNode? body, JsonTypeInfo<T> type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return body is null
            ? throw new JsonException($"The answer has no body; a {typeof(T).Name} was expected.")
            : body.Deserialize(type) ?? throw new JsonException($"The answer is JSON null; a {typeof(T).Name} was expected.");
    }
}
