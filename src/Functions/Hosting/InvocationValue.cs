using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GpuAutomation.Functions.Hosting;

/// <summary>
/// Decodes values of <see cref="InvocationRequest"/> defensively: the host JSON-encodes strings and numbers a
/// second time (<c>abc</c> arrives as <c>"\"abc\""</c>, 3 as <c>"3"</c>) and sends binary data as base64.
/// </summary>
public static class InvocationValue
{
    /// <summary>Raw bytes of a trigger payload: base64 (dataType binary), a (double-)encoded string, or inline JSON.</summary>
    public static byte[] ReadBytes(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (TryUnquote(text, out var unquoted))
                {
                    return Encoding.UTF8.GetBytes(unquoted);
                }

                if (Base64.IsValid(text, out var length) && length > 0)
                {
                    return Convert.FromBase64String(text);
                }

                return Encoding.UTF8.GetBytes(text);
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return [];
            default:
                return Encoding.UTF8.GetBytes(value.GetRawText());
        }
    }

    /// <summary>A string value with the host's second encoding removed (or as sent, when it has none); null when absent or JSON null.</summary>
    public static string? ReadString(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                // Decoding the element is the first unquote; the host's extra encoding is the second. No more:
                // a string whose own content is quoted must keep its quotes.
                var text = value.GetString()!;
                return TryUnquote(text, out var inner) ? inner : text;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return null;
            default:
                return value.GetRawText();
        }
    }

    /// <summary>An integer sent as a number or as its (quoted) text; null when absent or not an integer.</summary>
    public static long? ReadInteger(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            return number;
        }

        return ReadString(value) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : null;
    }

    /// <summary>A JSON document carried as an inline object or as a (double-)encoded string holding JSON.</summary>
    public static JsonElement? ReadJson(JsonElement value)
    {
        if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            return value;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = ReadString(value)!;
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            var bytes = ReadBytes(value);
            try
            {
                using var document = JsonDocument.Parse(bytes);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    public static string? Get(IReadOnlyDictionary<string, JsonElement>? values, string name)
        => Find(values, name) is { } element ? ReadString(element) : null;

    public static JsonElement? Find(IReadOnlyDictionary<string, JsonElement>? values, string name)
    {
        if (values is null)
        {
            return null;
        }

        if (values.TryGetValue(name, out var exact))
        {
            return exact;
        }

        foreach (var (key, element) in values)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return element;
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="text"/> is itself a JSON string literal; gives its content.</summary>
    private static bool TryUnquote(string text, out string content)
    {
        content = text;
        if (text.Length < 2 || text[0] != '"' || text[^1] != '"')
        {
            return false;
        }

        try
        {
            content = JsonSerializer.Deserialize(text, InvocationValueJsonContext.Default.String) ?? text;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
