using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Tests;

/// <summary>Every way an incoming message can be unreadable gives a stable code and a message naming the problem.</summary>
public sealed class MessageCodecRejectionTests
{
    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"messageId\":\"a\"} trailing")]
    public void Malformed_json_is_refused(string json)
    {
        var error = Refused(Encoding.UTF8.GetBytes(json));

        Assert.Equal(MessageFormatErrors.MalformedJson, error.Code);
    }

    [Fact]
    public void Unknown_message_type_is_refused_naming_it()
    {
        var error = Refused(Mutate(MessageTypes.AssignPartition, m => m["messageType"] = "FormatDisk"));

        Assert.Equal(MessageFormatErrors.UnknownMessageType, error.Code);
        Assert.Contains("'FormatDisk'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void Unsupported_schema_version_is_refused_naming_it(int version)
    {
        var error = Refused(Mutate(MessageTypes.AssignPartition, m => m["schemaVersion"] = version));

        Assert.Equal(MessageFormatErrors.UnsupportedSchemaVersion, error.Code);
        Assert.Contains($"Schema version {version}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("messageId")]
    [InlineData("messageType")]
    [InlineData("schemaVersion")]
    [InlineData("cluster")]
    [InlineData("node")]
    [InlineData("issuedAt")]
    [InlineData("body")]
    public void Missing_envelope_field_is_refused_naming_it(string field)
    {
        var error = Refused(Mutate(MessageTypes.AssignPartition, m => m.Remove(field)));

        Assert.Equal(MessageFormatErrors.MissingField, error.Code);
        Assert.Contains($"'{field}'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MessageTypes.AssignPartition, "vmName")]
    [InlineData(MessageTypes.ConfigurePartitionCount, "partitionCount")]
    [InlineData(MessageTypes.SetOfflineAction, "action")]
    [InlineData(MessageTypes.MoveVm, "vmId")]
    [InlineData(MessageTypes.MoveVm, "targetNode")]
    [InlineData(MessageTypes.CommandResult, "outcome")]
    [InlineData(MessageTypes.ClusterEvent, "kind")]
    public void Missing_body_field_is_refused_naming_it(string type, string field)
    {
        var error = Refused(Mutate(type, m => m["body"]!.AsObject().Remove(field)));

        Assert.Equal(MessageFormatErrors.MissingField, error.Code);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_for_a_required_body_field_is_refused()
    {
        var error = Refused(Mutate(MessageTypes.AssignPartition, m => m["body"]!["vmName"] = null));

        Assert.Equal(MessageFormatErrors.InvalidField, error.Code);
        Assert.Contains("vmName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_enum_value_is_refused_naming_the_field()
    {
        var error = Refused(Mutate(MessageTypes.AssignPartition, m => m["body"]!["offlineAction"] = "Hibernate"));

        Assert.Equal(MessageFormatErrors.InvalidField, error.Code);
        Assert.Contains("offlineAction", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("targetNode", "node_2")]
    [InlineData("vmId", "00000000-0000-0000-0000-000000000000")]
    [InlineData("mode", "Teleport")]
    [InlineData("whenLiveImpossible", "Hibernate")]
    public void A_move_with_an_invalid_target_vm_or_mode_is_refused_naming_the_field(string field, string value)
    {
        var error = Refused(Mutate(MessageTypes.MoveVm, m => m["body"]![field] = value));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(65)]
    public void Partition_count_out_of_range_is_refused(int count)
    {
        var error = Refused(Mutate(MessageTypes.ConfigurePartitionCount, m => m["body"]!["partitionCount"] = count));

        Assert.Equal(MessageFormatErrors.ValueOutOfRange, error.Code);
        Assert.Contains($"partitionCount: {count}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("node", "node_1")]
    [InlineData("node", "-node")]
    [InlineData("cluster", "clu ster")]
    public void Invalid_cluster_or_node_name_is_refused(string field, string value)
    {
        var error = Refused(Mutate(MessageTypes.CollectInventory, m => m[field] = value));

        Assert.Equal(MessageFormatErrors.ValueOutOfRange, error.Code);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vm_name_longer_than_hyper_v_allows_is_refused()
    {
        var error = Refused(Mutate(MessageTypes.AssignPartition, m => m["body"]!["vmName"] = new string('v', 101)));

        Assert.Equal(MessageFormatErrors.ValueOutOfRange, error.Code);
        Assert.Contains("vmName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_result_without_an_error_is_refused()
    {
        var error = Refused(Mutate(MessageTypes.CommandResult, m => m["body"]!["error"] = null));

        Assert.Equal(MessageFormatErrors.ValueOutOfRange, error.Code);
        Assert.Contains("error", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expiry_before_issue_is_refused()
    {
        var error = Refused(Mutate(MessageTypes.AssignPartition, m => m["expiresAt"] = "2020-01-01T00:00:00+00:00"));

        Assert.Equal(MessageFormatErrors.ValueOutOfRange, error.Code);
        Assert.Contains("expiresAt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_payload_is_refused_before_parsing()
    {
        var padding = new string(' ', Message.MaxEncodedBytes);
        var bytes = Encoding.UTF8.GetBytes(padding + Encoding.UTF8.GetString(MessageCodec.Encode(SampleMessages.Sample(MessageTypes.CollectInventory))));

        var error = Refused(bytes);

        Assert.Equal(MessageFormatErrors.PayloadTooLarge, error.Code);
        Assert.Contains(Message.MaxEncodedBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoding_a_message_over_the_limit_is_refused()
    {
        var huge = new Reports.ClusterEvent(Reports.ClusterEventKind.VmCreated, "node1", SampleMessages.IssuedAt, "vm1", Guid.NewGuid(), Notes: new string('n', Message.MaxJsonBytes));
        var message = Message.Create(huge, "m1", "cluster1", "node1", SampleMessages.IssuedAt);

        var error = Assert.Throws<MessageFormatException>(() => MessageCodec.Encode(message));

        Assert.Equal(MessageFormatErrors.PayloadTooLarge, error.Code);
    }

    [Fact]
    public void Expired_message_is_recognised_at_its_expiry()
    {
        var message = SampleMessages.Sample(MessageTypes.AssignPartition);
        var expiresAt = message.Envelope.ExpiresAt!.Value;

        Assert.False(message.IsExpired(expiresAt.AddTicks(-1)));
        Assert.True(message.IsExpired(expiresAt));
    }

    private static MessageFormatException Refused(byte[] bytes)
        => Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(bytes));

    private static byte[] Mutate(string type, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(MessageCodec.Encode(SampleMessages.Sample(type)))!.AsObject();
        change(json);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }
}
