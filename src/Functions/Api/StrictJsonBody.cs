using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// Reads JSON request bodies strictly: application/json only, at most <see cref="MaxBytes"/>, well-formed, no
/// member named twice (System.Text.Json would let the last win: <c>{"vm":"a","vm":"b"}</c> acted on b; case variants
/// count as the same name, since binding ignores case), no unknown members (the JSON contexts disallow them), required
/// members present. Every refusal is a 4xx problem
/// with a code; nothing reaches a service.
/// </summary>
public static class StrictJsonBody
{
    /// <summary>Largest API request body: a partition request or policy is well under 1 KB.</summary>
    public const int MaxBytes = 64 * 1024;

    public static async Task<JsonBody<T>> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var (bytes, problem) = await ReadBytesAsync(request, MaxBytes, cancellationToken);
        if (problem is not null)
        {
            return new JsonBody<T>(default!, problem);
        }

        // Syntax first, so a broken document is "malformed" whatever member it broke in.
        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return new JsonBody<T>(default!, ApiProblems.BadRequest(ApiErrorCodes.MalformedJson, "Malformed JSON", $"The body is a JSON {document.RootElement.ValueKind}; a JSON object is expected."));
            }

            if (FirstDuplicateMember(document.RootElement, "$") is { } duplicate)
            {
                return new JsonBody<T>(default!, ApiProblems.BadRequest(ApiErrorCodes.DuplicateMember, "Duplicate member", $"{duplicate} is named more than once (names are compared ignoring case); send each member once."));
            }
        }
        catch (JsonException ex)
        {
            return new JsonBody<T>(default!, ApiProblems.BadRequest(ApiErrorCodes.MalformedJson, "Malformed JSON", $"The body is not valid JSON: {ex.Message}"));
        }

        try
        {
            var value = JsonSerializer.Deserialize(bytes.Span, typeInfo);
            return value is null
                ? new JsonBody<T>(default!, ApiProblems.BadRequest(ApiErrorCodes.MalformedJson, "Malformed JSON", "The body is JSON null; a JSON object is expected."))
                : new JsonBody<T>(value, null);
        }
        catch (JsonException ex)
        {
            return new JsonBody<T>(default!, Classify(ex));
        }
    }

    /// <summary>The path of the first member named twice (ignoring case) in any object of <paramref name="element"/>.</summary>
    private static string? FirstDuplicateMember(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var member in element.EnumerateObject())
                {
                    if (!names.Add(member.Name))
                    {
                        return $"{path}.{member.Name}";
                    }

                    if (FirstDuplicateMember(member.Value, $"{path}.{member.Name}") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FirstDuplicateMember(item, $"{path}[{index++}]") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>Reads any well-formed JSON value (e.g. an Event Grid delivery) within <paramref name="maxBytes"/>.</summary>
    public static async Task<JsonBody<JsonElement>> ReadElementAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var (bytes, problem) = await ReadBytesAsync(request, maxBytes, cancellationToken);
        if (problem is not null)
        {
            return new JsonBody<JsonElement>(default, problem);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            return new JsonBody<JsonElement>(document.RootElement.Clone(), null);
        }
        catch (JsonException ex)
        {
            return new JsonBody<JsonElement>(default, ApiProblems.BadRequest(ApiErrorCodes.MalformedJson, "Malformed JSON", $"The body is not valid JSON: {ex.Message}"));
        }
    }

    private static async Task<(ReadOnlyMemory<byte> Bytes, ProblemHttpResult? Problem)> ReadBytesAsync(
        HttpRequest request,
        int maxBytes,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsJson(request.ContentType))
        {
            return (default, ApiProblems.Create(
                StatusCodes.Status415UnsupportedMediaType,
                ApiErrorCodes.UnsupportedMediaType,
                "Unsupported media type",
                $"The body must be application/json, not '{request.ContentType ?? "(none)"}'."));
        }

        if (request.ContentLength > maxBytes)
        {
            return (default, TooLarge(request.ContentLength.Value, maxBytes));
        }

        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            var read = await request.Body.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return (default, TooLarge(null, maxBytes));
            }
        }

        return (buffer.WrittenMemory, null);
    }

    private static ProblemHttpResult TooLarge(long? length, int maxBytes)
        => ApiProblems.Create(
            StatusCodes.Status413PayloadTooLarge,
            ApiErrorCodes.BodyTooLarge,
            "Body too large",
            length is { } l ? $"The body is {l} bytes; the limit is {maxBytes}." : $"The body is larger than the limit of {maxBytes} bytes.");

    private static bool IsJson(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private const string SchemaHint = "the OpenAPI document at /api/openapi/v1.json lists what each member takes.";

    private static ProblemHttpResult Classify(JsonException ex)
    {
        var path = ex.Path is { Length: > 1 } p ? p.TrimStart('$', '.') : null;
        var message = ex.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return ApiProblems.BadRequest(ApiErrorCodes.UnknownField, "Unknown field", $"The body has a member '{path}' this API does not know; check its spelling.");
        }

        // The serializer's own words name .NET types; the caller needs the members and the schema instead.
        const string Including = "including: ";
        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var at = message.IndexOf(Including, StringComparison.Ordinal);
            var members = at < 0 ? "some required members" : message[(at + Including.Length)..].TrimEnd('.');
            return ApiProblems.BadRequest(ApiErrorCodes.MissingField, "Missing field", $"The body lacks {members}; {SchemaHint}");
        }

        return path is null
            ? ApiProblems.BadRequest(ApiErrorCodes.MalformedJson, "Malformed JSON", $"The body is not valid JSON: {message}")
            : ApiProblems.BadRequest(ApiErrorCodes.InvalidField, "Invalid field", $"'{path}' has a value of the wrong type, null where one is required, or a name it does not take; {SchemaHint}");
    }
}
