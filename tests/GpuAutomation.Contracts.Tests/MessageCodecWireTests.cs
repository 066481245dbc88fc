using System.IO.Compression;
using System.Text;
using GpuAutomation.Contracts.Messaging;

namespace GpuAutomation.Contracts.Tests;

/// <summary>The wire form: plain JSON while small, gzip with a declared content encoding when large, bounded when read.</summary>
public sealed class MessageCodecWireTests
{
    [Fact]
    public void A_small_message_goes_as_plain_json()
    {
        var message = SampleMessages.Sample(MessageTypes.AssignPartition);

        var wire = MessageCodec.EncodeForWire(message);

        Assert.Null(wire.ContentEncoding);
        Assert.Equal(MessageCodec.Encode(message), wire.Bytes);
    }

    [Fact]
    public void A_large_message_goes_as_gzip_and_reads_back_with_or_without_the_declared_encoding()
    {
        var notes = string.Concat(Enumerable.Repeat("vm notes that repeat; ", 20_000));
        var message = Message.Create(new Reports.ClusterEvent(Reports.ClusterEventKind.VmCreated, "node1", SampleMessages.IssuedAt, "vm1", Guid.NewGuid(), Notes: notes), "m1", "cluster1", "node1", SampleMessages.IssuedAt);

        var wire = MessageCodec.EncodeForWire(message);

        Assert.Equal(MessageCodec.GzipEncoding, wire.ContentEncoding);
        Assert.True(wire.Bytes.Length < MessageCodec.Encode(message).Length / 10);
        Assert.Equal(MessageCodec.Encode(message), MessageCodec.Encode(MessageCodec.Decode(wire.Bytes, MessageCodec.GzipEncoding)));
        Assert.Equal(MessageCodec.Encode(message), MessageCodec.Encode(MessageCodec.Decode(wire.Bytes)));
    }

    [Fact]
    public void A_declared_encoding_the_body_does_not_have_is_refused()
    {
        var json = MessageCodec.Encode(SampleMessages.Sample(MessageTypes.CollectInventory));

        Assert.Equal(MessageFormatErrors.MalformedJson, Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(json, MessageCodec.GzipEncoding)).Code);
        Assert.Equal(MessageFormatErrors.MalformedJson, Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(json, "br")).Code);
    }

    [Fact]
    public void A_small_gzip_body_that_expands_past_the_json_limit_is_refused_while_reading()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(new string(' ', Message.MaxJsonBytes + 1)));
        }

        Assert.True(compressed.Length < Message.MaxEncodedBytes);
        var error = Assert.Throws<MessageFormatException>(() => MessageCodec.Decode(compressed.ToArray()));

        Assert.Equal(MessageFormatErrors.PayloadTooLarge, error.Code);
    }
}
