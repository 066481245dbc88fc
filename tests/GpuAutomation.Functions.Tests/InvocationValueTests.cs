using System.Text;
using System.Text.Json;
using GpuAutomation.Functions.Hosting;

namespace GpuAutomation.Functions.Tests;

/// <summary>Decoding of the host's value encodings.</summary>
public sealed class InvocationValueTests
{
    [Theory]
    [InlineData("\"abc\"", "abc")]
    [InlineData("\"\\\"abc\\\"\"", "abc")]
    [InlineData("\"\\\"\\\\\\\"abc\\\\\\\"\\\"\"", "\"abc\"")]
    [InlineData("3", "3")]
    [InlineData("null", null)]
    public void Strings_lose_the_hosts_second_encoding_and_keep_their_own_quotes(string json, string? expected)
        => Assert.Equal(expected, InvocationValue.ReadString(Parse(json)));

    [Theory]
    [InlineData("\"3\"", 3L)]
    [InlineData("\"\\\"3\\\"\"", 3L)]
    [InlineData("7", 7L)]
    [InlineData("\"three\"", null)]
    public void Integers_arrive_as_numbers_or_as_text(string json, long? expected)
        => Assert.Equal(expected, InvocationValue.ReadInteger(Parse(json)));

    [Fact]
    public void Binary_data_is_base64_and_a_double_encoded_string_is_its_text()
    {
        var body = "{\"a\":1}";

        Assert.Equal(body, Encoding.UTF8.GetString(InvocationValue.ReadBytes(Parse(JsonSerializer.Serialize(Convert.ToBase64String(Encoding.UTF8.GetBytes(body)))))));
        Assert.Equal(body, Encoding.UTF8.GetString(InvocationValue.ReadBytes(Parse(JsonSerializer.Serialize(JsonSerializer.Serialize(body))))));
        Assert.Equal(body, Encoding.UTF8.GetString(InvocationValue.ReadBytes(Parse(body))));
    }

    [Fact]
    public void An_exact_key_wins_over_a_copied_key_that_differs_only_in_case()
    {
        var metadata = new Dictionary<string, JsonElement>
        {
            ["messageId"] = Parse("\"\\\"from-body\\\"\""),
            ["MessageId"] = Parse("\"\\\"from-broker\\\"\""),
        };

        Assert.Equal("from-broker", InvocationValue.Get(metadata, "MessageId"));
    }

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
