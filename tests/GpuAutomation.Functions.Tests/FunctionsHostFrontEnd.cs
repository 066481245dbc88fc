using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using GpuAutomation.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Forwarder;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// The Functions host's HTTP front door for a custom handler, in the mode the repository's host.json selects, built
/// from the host's source (Azure/azure-functions-host, src/WebJobs.Script/Workers/Http/DefaultHttpWorkerService.cs):
/// <list type="bullet">
/// <item><c>enableProxyingHttpRequest</c>: <c>ProxyInvocationRequest</c> sets X-Azure-Functions-HostVersion and
/// X-Azure-Functions-InvocationId on the incoming request, then <c>DefaultHttpProxyService.StartForwarding</c> calls
/// YARP's <c>IHttpForwarder.SendAsync(context, "http://127.0.0.1:port/", invoker, config)</c> with a SocketsHttpHandler
/// (no redirects, no cookies) and a 240 s activity timeout: the default transformer keeps path and query, copies the
/// headers, replaces Host and adds X-Forwarded-*, and streams the body.</item>
/// <item><c>enableForwardingHttpRequest</c> (legacy): <c>ProcessHttpInAndOutInvocationRequest</c> rebuilds the request
/// with <c>HttpRequestExtensions.ToHttpRequestMessage</c>, which copies the body only when
/// <c>request.ContentLength &gt; 0</c> (host 4.1037, 89dc438; audit fidelity-azure 2.5).</item>
/// </list>
/// Neither: the host would send the HTTP request as an invocation payload, which the handler's API does not take.
/// </summary>
public sealed class FunctionsHostFrontEnd : IAsyncDisposable
{
    private const string HostVersion = "4.1037.0.0";

    private readonly WebApplication _app;
    private readonly IDisposable[] _clients;

    private FunctionsHostFrontEnd(WebApplication app, Uri baseAddress, params IDisposable[] clients)
    {
        _app = app;
        _clients = clients;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<FunctionsHostFrontEnd> StartAsync(Uri handler)
    {
        var customHandler = JsonNode.Parse(await File.ReadAllTextAsync(RepositoryPaths.Combine("host.json")))!["customHandler"]!;
        var proxying = customHandler["enableProxyingHttpRequest"]?.GetValue<bool>() == true;
        var forwarding = customHandler["enableForwardingHttpRequest"]?.GetValue<bool>() == true;

        var port = RunningApp.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Services.AddHttpForwarder();
        var app = builder.Build();

        var invoker = new HttpMessageInvoker(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(240) };
        var legacyClient = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false });

        app.Run(async context =>
        {
            var invocationId = Guid.NewGuid().ToString();
            if (proxying)
            {
                context.Request.Headers["X-Azure-Functions-HostVersion"] = HostVersion;
                context.Request.Headers["X-Azure-Functions-InvocationId"] = invocationId;
                var forwarder = context.RequestServices.GetRequiredService<IHttpForwarder>();
                var error = await forwarder.SendAsync(context, handler.ToString(), invoker, config);
                if (error != ForwarderError.None)
                {
                    // The host fails the invocation; its HTTP answer is a 500.
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                }
            }
            else if (forwarding)
            {
                await ForwardLegacyAsync(context, handler, legacyClient, invocationId);
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsync("host.json enables neither proxying nor forwarding: the API would get invocation payloads.");
            }
        });

        await app.StartAsync();
        return new FunctionsHostFrontEnd(app, new Uri($"http://127.0.0.1:{port}/"), invoker, legacyClient);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private static async Task ForwardLegacyAsync(HttpContext context, Uri handler, HttpClient client, string invocationId)
    {
        var request = context.Request;
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(handler, request.Path + request.QueryString));
        foreach (var header in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(header.Key, header.Value.AsEnumerable());
        }

        if (request.ContentLength is > 0)
        {
            message.Content = new StreamContent(request.Body);
            message.Content.Headers.Add("Content-Length", request.ContentLength.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!string.IsNullOrEmpty(request.ContentType))
            {
                message.Content.Headers.Add("Content-Type", request.ContentType);
            }
        }

        message.Headers.Add("X-Azure-Functions-HostVersion", HostVersion);
        message.Headers.Add("X-Azure-Functions-InvocationId", invocationId);
        using var response = await client.SendAsync(message);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Content.Headers)
        {
            context.Response.Headers[header.Key] = header.Value.ToArray();
        }

        context.Response.Headers.Remove("Content-Length");
        await response.Content.CopyToAsync(context.Response.Body);
    }
}
