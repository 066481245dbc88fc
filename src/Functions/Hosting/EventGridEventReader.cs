using GpuAutomation.ControlPlane.Provisioning;
using System.Text.Json;

namespace GpuAutomation.Functions.Hosting;

/// <summary>Reads Event Grid deliveries: one event or an array, in the Event Grid schema or as CloudEvents 1.0.</summary>
public static class EventGridEventReader
{
    public const string SubscriptionValidationEventType = "Microsoft.EventGrid.SubscriptionValidationEvent";

    /// <summary>Reads one event object; null with <paramref name="problem"/> when it lacks what every event has.</summary>
    public static VmLifecycleEvent? Read(JsonElement element, out string? problem)
    {
        problem = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            problem = $"An event must be a JSON object, not {element.ValueKind}.";
            return null;
        }

        // CloudEvents carry specversion and type; the Event Grid schema carries eventType and dataVersion.
        var isCloudEvent = element.TryGetProperty("specversion", out _);
        var id = String(element, "id");
        var type = String(element, isCloudEvent ? "type" : "eventType");
        if (id is null || type is null)
        {
            problem = $"The {(isCloudEvent ? "CloudEvent" : "Event Grid event")} has no {(id is null ? "id" : isCloudEvent ? "type" : "eventType")}.";
            return null;
        }

        var data = element.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d.Clone() : default;
        var timeText = String(element, isCloudEvent ? "time" : "eventTime");
        DateTimeOffset? time = timeText is not null && DateTimeOffset.TryParse(timeText, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var t)
            ? t
            : null;

        return new VmLifecycleEvent(
            id,
            type,
            String(element, "subject"),
            String(element, isCloudEvent ? "source" : "topic"),
            time,
            DataString(data, "operationName"),
            DataString(data, "resourceUri"),
            DataString(data, "status"),
            DataString(data, "correlationId"),
            data);
    }

    /// <summary>The events of one delivery (a JSON array, or one object).</summary>
    public static IReadOnlyList<JsonElement> Split(JsonElement delivery)
        => delivery.ValueKind == JsonValueKind.Array ? [.. delivery.EnumerateArray()] : [delivery];

    /// <summary>The validation code of a SubscriptionValidationEvent (Event Grid schema); null for any other event.</summary>
    public static string? ValidationCode(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !string.Equals(String(element, "eventType") ?? String(element, "type"), SubscriptionValidationEventType, StringComparison.OrdinalIgnoreCase)
            || !element.TryGetProperty("data", out var data)
            || data.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return DataString(data, "validationCode");
    }

    private static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    private static string? DataString(JsonElement data, string name)
        => data.ValueKind == JsonValueKind.Object ? String(data, name) : null;
}
