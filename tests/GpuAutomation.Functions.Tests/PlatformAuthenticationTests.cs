using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Functions.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// Under the Functions host the API trusts X-MS-CLIENT-PRINCIPAL, which is safe only while App Service Authentication
/// strips and sets it: without the platform's WEBSITE_AUTH_ENABLED the handler serves no /api/* request (audit
/// fidelity-azure problem 6).
/// </summary>
public sealed class PlatformAuthenticationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("False")]
    [InlineData("0")]
    [InlineData("")]
    public async Task Without_platform_authentication_the_api_is_refused_even_with_a_forged_principal(string? enabled)
    {
        var settings = new Dictionary<string, string> { [PlatformAuthentication.EnabledVariable] = enabled ?? string.Empty };
        await using var app = await RunningApp.StartAsync(HostingMode.FunctionsHost, settings: settings);

        foreach (var path in new[] { "/api/clusters", "/api/health", "/API/Clusters" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            request.Headers.Add(Principals.Header, Principals.Operator);
            using var response = await app.Client.SendAsync(request);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(PlatformAuthentication.DisabledCode, body["code"]!.GetValue<string>());
            Assert.Contains(PlatformAuthentication.EnabledVariable, body["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Without_platform_authentication_the_start_up_log_says_which_setting_is_missing()
    {
        var logs = new CapturedLogs();
        await using var app = await RunningApp.StartAsync(
            HostingMode.FunctionsHost,
            services => services.AddSingleton<ILoggerProvider>(logs),
            new Dictionary<string, string> { [PlatformAuthentication.EnabledVariable] = "false" });

        var entry = Assert.Single(logs.Entries, e => e.EventId.Id == 2201);
        Assert.Equal(LogLevel.Critical, entry.Level);
        Assert.Contains(PlatformAuthentication.EnabledVariable, entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_platform_authentication_nothing_is_logged_about_it()
    {
        var logs = new CapturedLogs();
        await using var app = await RunningApp.StartAsync(HostingMode.FunctionsHost, services => services.AddSingleton<ILoggerProvider>(logs));

        Assert.DoesNotContain(logs.Entries, e => e.EventId.Id == 2201);
    }

    [Fact]
    public async Task Without_platform_authentication_the_hosts_invocations_are_still_served()
    {
        await using var app = await RunningApp.StartAsync(
            HostingMode.FunctionsHost,
            settings: new Dictionary<string, string> { [PlatformAuthentication.EnabledVariable] = "false" });

        using var ready = await app.Client.GetAsync(new Uri("/", UriKind.Relative));
        using var invocation = await app.Client.PostAsync(
            new Uri("/" + FunctionNames.HostReports, UriKind.Relative),
            new StringContent(Payloads.ServiceBusBinary(Encoding.UTF8.GetBytes("{\"messageType\":42}"), "poison-1"), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, invocation.StatusCode);
    }

    [Theory]
    [InlineData("True")]
    [InlineData("true")]
    [InlineData("1")]
    public async Task With_platform_authentication_the_api_serves_callers_by_their_principal(string enabled)
    {
        await using var app = await RunningApp.StartAsync(
            HostingMode.FunctionsHost,
            settings: new Dictionary<string, string> { [PlatformAuthentication.EnabledVariable] = enabled });

        using var anonymous = await app.Client.GetAsync(new Uri("/api/clusters", UriKind.Relative));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/clusters", UriKind.Relative));
        request.Headers.Add(Principals.Header, Principals.Reader);
        using var reader = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, reader.StatusCode);
    }

    [Fact]
    public async Task A_local_run_does_not_depend_on_the_platform_setting()
    {
        await using var app = await RunningApp.StartAsync(HostingMode.Local);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/clusters", UriKind.Relative));
        request.Headers.Add(Principals.Header, Principals.Reader);

        using var response = await app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
