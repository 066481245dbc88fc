using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>Lenient reads of API answers: property names in any case, enums as names or numbers.</summary>
public static class Json
{
    public static JsonNode? Get(JsonObject obj, string name)
    {
        ArgumentNullException.ThrowIfNull(obj);
        foreach (var (key, value) in obj)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    public static string? Text(JsonObject obj, string name) => Get(obj, name) switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => null,
    };

    public static int? Number(JsonObject obj, string name)
        => Text(obj, name) is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    public static IEnumerable<JsonObject> Objects(JsonObject obj, string name)
        => Get(obj, name) is JsonArray array ? array.OfType<JsonObject>() : [];

    /// <summary>An enum sent as its name (any case) or its number.</summary>
    public static TEnum? Enum<TEnum>(JsonObject obj, string name)
        where TEnum : struct, System.Enum
        => Text(obj, name) is { } text && System.Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) ? value : null;
}
