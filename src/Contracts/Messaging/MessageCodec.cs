using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GpuAutomation.Contracts.Messaging;

/// <summary>
/// Writes and reads messages as UTF-8 JSON: the envelope's fields at the top level and the body under "body".
/// Reading refuses anything that can't be processed with a <see cref="MessageFormatException"/> naming the problem.
/// </summary>
public static class MessageCodec
{
    public const string ContentType = "application/json";

    /// <summary>The content encoding of a compressed wire body, declared in the message's content-encoding property.</summary>
    public const string GzipEncoding = "gzip";

    /// <summary>JSON larger than this goes on the wire as gzip; smaller messages stay plain JSON, readable in any tool.</summary>
    public const int CompressAbove = 64 * 1024;

    // Messages never reach HTML, so only what JSON itself requires is escaped: paths like \\?\PCI#VEN_10DE&... stay readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Encode(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            var e = message.Envelope;
            writer.WriteStartObject();
            writer.WriteString("messageId", e.MessageId);
            if (e.CorrelationId is null)
            {
                writer.WriteNull("correlationId");
            }
            else
            {
                writer.WriteString("correlationId", e.CorrelationId);
            }

            writer.WriteString("messageType", e.MessageType);
            writer.WriteNumber("schemaVersion", e.SchemaVersion);
            writer.WriteString("cluster", e.Cluster);
            writer.WriteString("node", e.Node);
            writer.WriteString("issuedAt", e.IssuedAt);
            if (e.ExpiresAt is { } expiresAt)
            {
                writer.WriteString("expiresAt", expiresAt);
            }
            else
            {
                writer.WriteNull("expiresAt");
            }

            writer.WritePropertyName("body");
            var typeInfo = MessageTypes.BodyTypeInfo(e.MessageType)
                ?? throw new ArgumentException($"Unknown message type '{e.MessageType}'.", nameof(message));
            JsonSerializer.Serialize(writer, message.Body, typeInfo);
            writer.WriteEndObject();
        }

        if (buffer.WrittenCount > Message.MaxJsonBytes)
        {
            throw new MessageFormatException(
                MessageFormatErrors.PayloadTooLarge,
                $"The {message.Envelope.MessageType} message is {buffer.WrittenCount} bytes of JSON; the limit is {Message.MaxJsonBytes}.");
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The body a bus sends: the JSON, gzip-compressed above <see cref="CompressAbove"/> with
    /// <see cref="WireBody.ContentEncoding"/> saying so. Refused when even compressed it exceeds
    /// <see cref="Message.MaxEncodedBytes"/> (the bus then also checks the whole message with its properties).
    /// </summary>
    public static WireBody EncodeForWire(Message message)
    {
        var json = Encode(message);
        if (json.Length <= CompressAbove)
        {
            return new WireBody(json, null);
        }

        using var compressed = new MemoryStream(json.Length / 4);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json);
        }

        if (compressed.Length > Message.MaxEncodedBytes)
        {
            throw new MessageFormatException(
                MessageFormatErrors.PayloadTooLarge,
                $"The {message.Envelope.MessageType} message is {compressed.Length} bytes gzip-compressed ({json.Length} bytes of JSON); the limit is {Message.MaxEncodedBytes}.");
        }

        return new WireBody(compressed.ToArray(), GzipEncoding);
    }

    /// <summary>
    /// Reads a wire body with the content encoding its message declared. The gzip magic number is recognised too, so a
    /// reader that sees only the body (the Functions Service Bus trigger with dataType binary) reads it the same way.
    /// </summary>
    public static Message Decode(ReadOnlySpan<byte> body, string? contentEncoding)
    {
        if (contentEncoding is not null && !(contentEncoding.Equals(GzipEncoding, StringComparison.OrdinalIgnoreCase) && IsGzip(body)))
        {
            throw new MessageFormatException(
                MessageFormatErrors.MalformedJson,
                contentEncoding.Equals(GzipEncoding, StringComparison.OrdinalIgnoreCase)
                    ? "The message declares content-encoding gzip but its body is not gzip."
                    : $"The message's content-encoding '{contentEncoding}' is not supported; only gzip is.");
        }

        return Decode(body);
    }

    /// <summary>Reads a message, refusing it with a <see cref="MessageFormatException"/> when it can never be processed.</summary>
    public static Message Decode(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length > Message.MaxEncodedBytes)
        {
            throw new MessageFormatException(
                MessageFormatErrors.PayloadTooLarge,
                $"The message is {utf8Json.Length} bytes; the limit is {Message.MaxEncodedBytes}.");
        }

        return IsGzip(utf8Json) ? DecodeJson(Gunzip(utf8Json)) : DecodeJson(utf8Json);
    }

    // RFC 1952 2.3.1: ID1 = 0x1f, ID2 = 0x8b. No JSON text starts with 0x1f.
    private static bool IsGzip(ReadOnlySpan<byte> body) => body.Length >= 2 && body[0] == 0x1f && body[1] == 0x8b;

    private static byte[] Gunzip(ReadOnlySpan<byte> body)
    {
        try
        {
            using var input = new MemoryStream(body.ToArray(), writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream(body.Length * 4);
            var chunk = new byte[81920];
            int read;
            while ((read = gzip.Read(chunk, 0, chunk.Length)) > 0)
            {
                // Bounded while reading: a small compressed body must not expand without limit.
                if (output.Length + read > Message.MaxJsonBytes)
                {
                    throw new MessageFormatException(
                        MessageFormatErrors.PayloadTooLarge,
                        $"The gzip message expands beyond {Message.MaxJsonBytes} bytes of JSON, the limit.");
                }

                output.Write(chunk, 0, read);
            }

            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new MessageFormatException(MessageFormatErrors.MalformedJson, $"The message's gzip body is corrupt: {ex.Message}", ex);
        }
    }

    private static Message DecodeJson(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.Length > Message.MaxJsonBytes)
        {
            throw new MessageFormatException(
                MessageFormatErrors.PayloadTooLarge,
                $"The message is {utf8Json.Length} bytes of JSON; the limit is {Message.MaxJsonBytes}.");
        }

        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 32 });
        JsonDocument document;
        try
        {
            document = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                throw new JsonException("Trailing data after the JSON document.");
            }
        }
        catch (JsonException ex)
        {
            throw new MessageFormatException(MessageFormatErrors.MalformedJson, $"The message is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new MessageFormatException(MessageFormatErrors.MalformedJson, $"The message must be a JSON object, not {root.ValueKind}.");
            }

            var envelope = ReadEnvelope(root);
            var typeInfo = MessageTypes.BodyTypeInfo(envelope.MessageType)!;
            if (!root.TryGetProperty("body", out var bodyElement) || bodyElement.ValueKind == JsonValueKind.Null)
            {
                throw Missing("body", envelope.MessageType);
            }

            object? body;
            try
            {
                body = bodyElement.Deserialize(typeInfo);
            }
            catch (JsonException ex) when (ex.Message.Contains("missing required properties", StringComparison.Ordinal))
            {
                throw new MessageFormatException(MessageFormatErrors.MissingField, $"The {envelope.MessageType} body {ex.Message}", ex);
            }
            catch (JsonException ex)
            {
                var path = ex.Path is { Length: > 0 } p ? $" at body{p.TrimStart('$')}" : string.Empty;
                throw new MessageFormatException(MessageFormatErrors.InvalidField, $"The {envelope.MessageType} body has an invalid value{path}: {ex.Message}", ex);
            }

            if (body is not IMessageBody messageBody)
            {
                throw Missing("body", envelope.MessageType);
            }

            var check = new FieldCheck();
            messageBody.Validate(check);
            if (check.Problem is { } problem)
            {
                throw new MessageFormatException(MessageFormatErrors.ValueOutOfRange, $"The {envelope.MessageType} body is out of range: {problem}.");
            }

            return new Message(envelope, messageBody);
        }
    }

    private static Envelope ReadEnvelope(JsonElement root)
    {
        var type = RequiredString(root, "messageType", null);
        if (!MessageTypes.IsKnown(type))
        {
            throw new MessageFormatException(
                MessageFormatErrors.UnknownMessageType,
                $"Unknown message type '{type}'; known types are {string.Join(", ", MessageTypes.AllCommands.Concat(MessageTypes.AllReports))}.");
        }

        if (!root.TryGetProperty("schemaVersion", out var versionElement) || versionElement.ValueKind == JsonValueKind.Null)
        {
            throw Missing("schemaVersion", type);
        }

        if (!versionElement.TryGetInt32(out var version) || version != Message.CurrentSchemaVersion)
        {
            throw new MessageFormatException(
                MessageFormatErrors.UnsupportedSchemaVersion,
                $"Schema version {versionElement.GetRawText()} of {type} is not supported; this build reads version {Message.CurrentSchemaVersion}.");
        }

        var messageId = RequiredString(root, "messageId", type);
        var cluster = RequiredString(root, "cluster", type);
        var node = RequiredString(root, "node", type);
        var correlationId = OptionalString(root, "correlationId", type);
        var issuedAt = RequiredTime(root, "issuedAt", type);
        var expiresAt = OptionalTime(root, "expiresAt", type);

        OutOfRangeUnless(messageId.Length <= 128, type, $"messageId is longer than 128 characters");
        OutOfRangeUnless(correlationId is null || correlationId.Length is > 0 and <= 128, type, "correlationId must be 1 to 128 characters");
        OutOfRangeUnless(ResourceNames.IsValidHostName(cluster), type, $"cluster '{Truncate(cluster)}' is not a valid cluster name");
        OutOfRangeUnless(ResourceNames.IsValidHostName(node), type, $"node '{Truncate(node)}' is not a valid node name");
        OutOfRangeUnless(expiresAt is null || expiresAt >= issuedAt, type, "expiresAt is before issuedAt");

        return new Envelope(messageId, correlationId, type, version, cluster, node, issuedAt, expiresAt);
    }

    private static string RequiredString(JsonElement root, string name, string? type)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            throw Missing(name, type);
        }

        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 } value)
        {
            throw new MessageFormatException(MessageFormatErrors.InvalidField, $"{Of(type)}{name} must be a non-empty string.");
        }

        return value;
    }

    private static string? OptionalString(JsonElement root, string name, string type)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return element.ValueKind == JsonValueKind.String
            ? element.GetString()
            : throw new MessageFormatException(MessageFormatErrors.InvalidField, $"{Of(type)}{name} must be a string.");
    }

    private static DateTimeOffset RequiredTime(JsonElement root, string name, string type)
        => OptionalTime(root, name, type) ?? throw Missing(name, type);

    private static DateTimeOffset? OptionalTime(JsonElement root, string name, string type)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return element.ValueKind == JsonValueKind.String && element.TryGetDateTimeOffset(out var value)
            ? value
            : throw new MessageFormatException(
                MessageFormatErrors.InvalidField,
                string.Create(CultureInfo.InvariantCulture, $"{Of(type)}{name} must be an ISO 8601 timestamp."));
    }

    private static void OutOfRangeUnless(bool condition, string type, string problem)
    {
        if (!condition)
        {
            throw new MessageFormatException(MessageFormatErrors.ValueOutOfRange, $"The {type} envelope is out of range: {problem}.");
        }
    }

    private static MessageFormatException Missing(string field, string? type)
        => new(MessageFormatErrors.MissingField, $"{Of(type)}required field '{field}' is missing.");

    private static string Of(string? type) => type is null ? "The message's " : $"The {type} message's ";

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
