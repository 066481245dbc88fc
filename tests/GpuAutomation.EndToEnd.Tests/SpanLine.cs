using System.Text.Json;

namespace GpuAutomation.EndToEnd.Tests;

/// <summary>One span as a process's span file holds it (src/Telemetry/SpanFileExporter.cs).</summary>
public sealed record SpanLine(string TraceId, string SpanId, string? ParentSpanId, string Name, string Kind, string Source, string Status, IReadOnlyDictionary<string, string?> Attributes)
{
    public string? Attribute(string name) => Attributes.GetValueOrDefault(name);

    /// <summary>The spans written so far (a line being written is skipped until it is complete).</summary>
    public static IReadOnlyList<SpanLine> ReadAll(string file)
    {
        if (!File.Exists(file))
        {
            return [];
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var spans = new List<SpanLine>();
        while (reader.ReadLine() is { } line)
        {
            try
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                spans.Add(new SpanLine(
                    root.GetProperty("traceId").GetString()!,
                    root.GetProperty("spanId").GetString()!,
                    root.GetProperty("parentSpanId").GetString(),
                    root.GetProperty("name").GetString()!,
                    root.GetProperty("kind").GetString()!,
                    root.GetProperty("source").GetString()!,
                    root.GetProperty("status").GetString()!,
                    root.GetProperty("attributes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.ToString())));
            }
            catch (JsonException)
            {
                // The last line may be half written.
            }
        }

        return spans;
    }

    public override string ToString() => $"{Source} {Kind} '{Name}' {SpanId} <- {ParentSpanId} [{string.Join(", ", Attributes.Select(a => $"{a.Key}={a.Value}"))}]";
}
