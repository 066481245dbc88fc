using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.Functions.Tests;

/// <summary>Invocation payloads shaped as the Functions host sends them, quirks included.</summary>
public static class Payloads
{
    public static readonly DateTimeOffset IssuedAt = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    public static byte[] VmCreatedReport(string messageId = "evt-1")
        => MessageCodec.Encode(Message.Create(
            new ClusterEvent(ClusterEventKind.VmCreated, "node1", IssuedAt, VmName: "vm-gpu-01", VmId: Guid.Parse("6d1c2a3e-8a47-4e0e-9d55-0c1f4b1a2b3c")),
            messageId,
            "cl1",
            "node1",
            IssuedAt));

    /// <summary>The host quotes strings a second time: abc arrives as "\"abc\"" and 3 as "3".</summary>
    public static string Quoted(string value) => JsonSerializer.Serialize(value);

    /// <summary>Service Bus trigger with dataType binary: Data.message is base64 of the body.</summary>
    public static string ServiceBusBinary(byte[] body, string brokerMessageId = "evt-1", int deliveryCount = 1, string? senderToken = null)
        => new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = Convert.ToBase64String(body) },
            ["Metadata"] = ServiceBusMetadata(brokerMessageId, deliveryCount, senderToken),
        }.ToJsonString();

    /// <summary>Without dataType binary: the body as a JSON string, encoded again, and its top-level members copied into Metadata.</summary>
    public static string ServiceBusString(byte[] body, string brokerMessageId, int deliveryCount)
    {
        var text = Encoding.UTF8.GetString(body);
        var metadata = ServiceBusMetadata(brokerMessageId, deliveryCount);
        foreach (var (key, value) in JsonNode.Parse(text)!.AsObject())
        {
            metadata[key] = value?.ToJsonString();
        }

        return new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = Quoted(text) },
            ["Metadata"] = metadata,
        }.ToJsonString();
    }

    public static string EventGridInvocation(JsonNode eventPayload, bool asDoubleEncodedString)
        => new JsonObject
        {
            ["Data"] = new JsonObject
            {
                ["eventGridEvent"] = asDoubleEncodedString ? Quoted(eventPayload.ToJsonString()) : eventPayload.DeepClone(),
            },
            ["Metadata"] = new JsonObject { ["sys"] = new JsonObject { ["MethodName"] = "VmLifecycleEvents" } },
        }.ToJsonString();

    public static JsonObject VmInstanceWriteEvent(string id = "8b9c1d2e-0000-4000-8000-000000000001", string operation = "Microsoft.AzureStackHCI/virtualMachineInstances/write")
        => new()
        {
            ["id"] = id,
            ["topic"] = "/subscriptions/00000000-0000-0000-0000-000000000001",
            ["subject"] = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/vm-gpu-01/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default",
            ["eventType"] = "Microsoft.Resources.ResourceWriteSuccess",
            ["eventTime"] = "2026-11-24T08:00:00.1234567Z",
            ["dataVersion"] = "2",
            ["data"] = new JsonObject
            {
                ["operationName"] = operation,
                ["resourceUri"] = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/vm-gpu-01/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default",
                ["status"] = "Succeeded",
                ["correlationId"] = "corr-1",
            },
        };

    public static JsonObject VmInstanceWriteCloudEvent(string id = "ce-1")
        => new()
        {
            ["specversion"] = "1.0",
            ["id"] = id,
            ["source"] = "/subscriptions/00000000-0000-0000-0000-000000000001",
            ["subject"] = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/vm-gpu-02/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default",
            ["type"] = "Microsoft.Resources.ResourceWriteSuccess",
            ["time"] = "2026-11-24T08:00:00Z",
            ["data"] = new JsonObject { ["operationName"] = "MICROSOFT.AZURESTACKHCI/VIRTUALMACHINEINSTANCES/WRITE", ["status"] = "Succeeded" },
        };

    public static string Timer(bool isPastDue, string? last)
        => new JsonObject
        {
            ["Data"] = new JsonObject
            {
                ["timer"] = new JsonObject
                {
                    ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
                    ["ScheduleStatus"] = last is null ? null : new JsonObject { ["Last"] = last, ["Next"] = "2026-11-24T09:00:00+00:00", ["LastUpdated"] = last },
                    ["IsPastDue"] = isPastDue,
                },
            },
            ["Metadata"] = new JsonObject(),
        }.ToJsonString();

    /// <param name="senderToken">The sender-token application property; the host passes application properties as an object.</param>
    private static JsonObject ServiceBusMetadata(string brokerMessageId, int deliveryCount, string? senderToken = null)
        => new()
        {
            ["DeliveryCount"] = deliveryCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LockToken"] = Quoted("5f8e2a1c-0000-4000-8000-000000000009"),
            ["ExpiresAtUtc"] = Quoted("2026-11-25T08:00:00"),
            ["EnqueuedTimeUtc"] = Quoted("2026-11-24T08:00:01"),
            ["MessageId"] = Quoted(brokerMessageId),
            ["ContentType"] = Quoted("application/json"),
            ["SequenceNumber"] = "42",
            ["Subject"] = Quoted("ClusterEvent"),
            ["ApplicationProperties"] = senderToken is null
                ? new JsonObject { ["schemaVersion"] = 1 }
                : new JsonObject { ["schemaVersion"] = 1, [Contracts.Messaging.Message.SenderTokenProperty] = senderToken },
            ["MessageActions"] = new JsonObject(),
        };
}
