using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GpuAutomation.Sandbox.Scenario;

/// <summary>
/// The REST API as a user's script sees it: plain HTTP and JSON. Reads answers as JSON trees rather than the
/// server's types, so the scenario checks what is on the wire.
/// </summary>
public sealed class ControlPlaneClient(HttpClient http)
{
    public Uri BaseAddress => http.BaseAddress!;

    public Task<ApiAnswer> GetAsync(string path, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<ApiAnswer> PostAsync(string path, string? json, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, path, json, cancellationToken);

    public Task<ApiAnswer> PutAsync(string path, string json, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Put, path, json, cancellationToken);

    /// <summary>The inventory of a cluster, or null while the control plane has none (404).</summary>
    public async Task<ClusterView?> GetInventoryAsync(string cluster, CancellationToken cancellationToken)
    {
        var answer = await GetAsync($"api/clusters/{cluster}/inventory", cancellationToken);
        return answer.Status == HttpStatusCode.OK ? ClusterView.From(answer.Body) : null;
    }

    /// <summary>One partition request, or null when it isn't there (yet).</summary>
    public async Task<RequestView?> GetRequestAsync(string id, CancellationToken cancellationToken)
    {
        var answer = await GetAsync($"api/partition-requests/{Uri.EscapeDataString(id)}", cancellationToken);
        return answer.Status == HttpStatusCode.OK ? RequestView.From(answer.Body) : null;
    }

    /// <summary>The newest requests for a VM in a cluster.</summary>
    public async Task<IReadOnlyList<RequestView>> ListRequestsAsync(string cluster, string vm, CancellationToken cancellationToken)
    {
        var answer = await GetAsync($"api/partition-requests?cluster={Uri.EscapeDataString(cluster)}&vm={Uri.EscapeDataString(vm)}", cancellationToken);
        if (answer.Status != HttpStatusCode.OK || answer.Body is null)
        {
            return [];
        }

        return RequestView.All(answer.Body);
    }

    private async Task<ApiAnswer> SendAsync(HttpMethod method, string path, string? json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? body = null;
        if (text.Length > 0)
        {
            try
            {
                body = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                // Not JSON (e.g. a plain-text status page): the raw text is kept for the report.
            }
        }

        return new ApiAnswer(response.StatusCode, body, text);
    }
}
