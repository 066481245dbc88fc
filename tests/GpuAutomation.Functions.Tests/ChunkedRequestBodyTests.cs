using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.Functions.Hosting;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// A request body sent without Content-Length (Transfer-Encoding: chunked) reaches the handler's API through the
/// Functions host's HTTP front door as host.json configures it (audit fidelity-azure 2.5, problem 5).
/// </summary>
public sealed class ChunkedRequestBodyTests : IAsyncLifetime
{
    private RunningApp _handler = null!;
    private FunctionsHostFrontEnd _host = null!;

    public async Task InitializeAsync()
    {
        _handler = await RunningApp.StartAsync(HostingMode.FunctionsHost);
        _host = await FunctionsHostFrontEnd.StartAsync(_handler.BaseAddress);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _handler.DisposeAsync();
    }

    [Fact]
    public async Task A_chunked_post_reaches_the_api_with_its_body()
    {
        using var client = new HttpClient { BaseAddress = _host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/partition-requests", UriKind.Relative))
        {
            Content = new ChunkedContent("""{"cluster":"chunked-cluster","vm":"vm-1","action":"assign"}"""),
        };
        request.Headers.Add(Principals.Header, Principals.Operator);

        using var response = await client.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        // The core read the body: it refused the cluster the body names. An empty body would be 400 malformed-json.
        Assert.True(request.Headers.TransferEncodingChunked);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("unknown-cluster", body["code"]!.GetValue<string>());
        Assert.Contains("chunked-cluster", body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_request_with_a_content_length_gets_the_same_answer()
    {
        using var client = new HttpClient { BaseAddress = _host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/partition-requests", UriKind.Relative))
        {
            Content = new StringContent("""{"cluster":"chunked-cluster","vm":"vm-1","action":"assign"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(Principals.Header, Principals.Operator);

        using var response = await client.SendAsync(request);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("unknown-cluster", body["code"]!.GetValue<string>());
    }

    /// <summary>JSON content of unknown length: HttpClient sends it chunked, with no Content-Length.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public ChunkedContent(string json)
        {
            _bytes = Encoding.UTF8.GetBytes(json);
            Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // Two writes, so the body really travels as more than one chunk.
            await stream.WriteAsync(_bytes.AsMemory(0, _bytes.Length / 2));
            await stream.FlushAsync();
            await stream.WriteAsync(_bytes.AsMemory(_bytes.Length / 2));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
