using System.Diagnostics;
using System.Text.Json;
using OpenTelemetry;

namespace GpuAutomation.Telemetry;

/// <summary>
/// Appends each finished span to a file as one JSON object per line: trace and span ids, parent, name, kind, source,
/// start, duration, status and attributes. Other processes may read the file while it grows (FileShare.ReadWrite).
/// </summary>
public sealed class SpanFileExporter : BaseExporter<Activity>
{
    private readonly Lock _gate = new();
    private readonly FileStream _file;

    public SpanFileExporter(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }

        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    public override ExportResult Export(in Batch<Activity> batch)
    {
        using var buffer = new MemoryStream();
        foreach (var activity in batch)
        {
            using (var json = new Utf8JsonWriter(buffer))
            {
                Write(json, activity);
            }

            buffer.WriteByte((byte)'\n');
        }

        lock (_gate)
        {
            _file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            _file.Flush();
        }

        return ExportResult.Success;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void Write(Utf8JsonWriter json, Activity activity)
    {
        json.WriteStartObject();
        json.WriteString("traceId", activity.TraceId.ToHexString());
        json.WriteString("spanId", activity.SpanId.ToHexString());
        json.WriteString("parentSpanId", activity.ParentSpanId == default ? null : activity.ParentSpanId.ToHexString());
        json.WriteString("name", activity.DisplayName);
        json.WriteString("kind", activity.Kind.ToString());
        json.WriteString("source", activity.Source.Name);
        json.WriteString("start", activity.StartTimeUtc);
        json.WriteNumber("durationMs", activity.Duration.TotalMilliseconds);
        json.WriteString("status", activity.Status.ToString());
        json.WriteStartObject("attributes");
        foreach (var tag in activity.TagObjects)
        {
            switch (tag.Value)
            {
                case null:
                    json.WriteNull(tag.Key);
                    break;
                case bool b:
                    json.WriteBoolean(tag.Key, b);
                    break;
                case long or int or double:
                    json.WriteNumber(tag.Key, Convert.ToDouble(tag.Value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    json.WriteString(tag.Key, Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
