using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace GpuAutomation.ControlPlane.Storage;

/// <summary>
/// Stores a document (snapshot, request with steps) as gzip-compressed JSON split over binary properties of at
/// most 64 KiB each, so a large inventory stays inside Table Storage's property and entity limits.
/// </summary>
internal static class DocumentColumns
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Room for the other properties within the 1 MiB entity limit.</summary>
    private const int MaxChunks = 14;

    public static void Write<T>(IDictionary<string, object?> properties, string name, T value, JsonTypeInfo<T> typeInfo)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(json);
        }

        var bytes = buffer.ToArray();
        var chunks = (bytes.Length + ChunkBytes - 1) / ChunkBytes;
        if (chunks > MaxChunks)
        {
            throw new ArgumentException(
                $"The {name} document is {json.Length} bytes ({bytes.Length} compressed); at most {MaxChunks * ChunkBytes} compressed bytes fit in one row.",
                nameof(value));
        }

        properties[name + "Parts"] = chunks;
        for (var i = 0; i < chunks; i++)
        {
            properties[name + i.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                bytes.AsSpan(i * ChunkBytes, Math.Min(ChunkBytes, bytes.Length - (i * ChunkBytes))).ToArray();
        }
    }

    public static T Read<T>(TableRow row, string name, JsonTypeInfo<T> typeInfo)
    {
        var parts = row.GetInt64(name + "Parts")
            ?? throw new InvalidDataException($"Row {row.PartitionKey}/{row.RowKey} has no {name} document.");
        using var compressed = new MemoryStream();
        for (var i = 0; i < parts; i++)
        {
            compressed.Write(row.GetBytes(name + i.ToString(System.Globalization.CultureInfo.InvariantCulture))
                ?? throw new InvalidDataException($"Row {row.PartitionKey}/{row.RowKey} lacks part {i} of {name}."));
        }

        compressed.Position = 0;
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        return JsonSerializer.Deserialize(gzip, typeInfo)
            ?? throw new InvalidDataException($"Row {row.PartitionKey}/{row.RowKey} holds a null {name} document.");
    }
}
