using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace GpuAutomation.ControlPlane.Tests.Storage;

/// <summary>
/// Reads every $batch request on its way to the table endpoint and records the partition keys it touches, because
/// Azurite accepts batches over several partitions that Table Storage rejects.
/// </summary>
internal sealed partial class BatchPartitionSpy : HttpPipelinePolicy
{
    public ConcurrentQueue<(IReadOnlySet<string> PartitionKeys, int Operations)> Batches { get; } = new();

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Inspect(message);
        ProcessNext(message, pipeline);
    }

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Inspect(message);
        return ProcessNextAsync(message, pipeline);
    }

    private void Inspect(HttpMessage message)
    {
        if (!message.Request.Uri.ToUri().AbsolutePath.EndsWith("$batch", StringComparison.Ordinal) || message.Request.Content is null)
        {
            return;
        }

        using var buffer = new MemoryStream();
        message.Request.Content.WriteTo(buffer, default);
        var body = Uri.UnescapeDataString(Encoding.UTF8.GetString(buffer.ToArray()));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in JsonKey().Matches(body))
        {
            keys.Add(match.Groups[1].Value);
        }

        foreach (Match match in UrlKey().Matches(body))
        {
            keys.Add(match.Groups[1].Value);
        }

        Batches.Enqueue((keys, Operation().Matches(body).Count));
    }

    [GeneratedRegex("\"PartitionKey\"\\s*:\\s*\"([^\"]*)\"")]
    private static partial Regex JsonKey();

    [GeneratedRegex("PartitionKey='([^']*)'")]
    private static partial Regex UrlKey();

    [GeneratedRegex("^(POST|PUT|PATCH|MERGE|DELETE) http", RegexOptions.Multiline)]
    private static partial Regex Operation();
}
