using System.Net;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Functions.Security;

namespace GpuAutomation.Functions.Tests;

/// <summary>The development identity makes header-less callers operators: it never serves beyond this machine (issue 16, item 8).</summary>
public sealed class DevelopmentIdentityLoopbackTests
{
    private const string Setting = "GpuAutomation:Security:DevelopmentIdentity";

    /// <summary>Report authentication as deployed, so only the development identity is on trial here.</summary>
    private static readonly string[] Tenant =
        ["--GpuAutomation:ReportAuthentication:TenantId=7f3c2b1a-0d4e-4f5a-9b6c-8d7e6f5a4b3c", "--GpuAutomation:ReportAuthentication:Audience=api://gpu-automation-test"];

    [Theory]
    [InlineData("http://0.0.0.0:{0}")]
    [InlineData("http://*:{0}")]
    [InlineData("http://+:{0}")]
    [InlineData("http://[::]:{0}")]
    [InlineData("http://gpu-automation.example:{0}")]
    public async Task It_refuses_to_start_on_an_address_other_machines_can_reach(string url)
    {
        var address = string.Format(System.Globalization.CultureInfo.InvariantCulture, url, RunningApp.FreePort());
        var app = Program.CreateApp([$"--urls={address}", $"--{Setting}=true", .. Tenant]);
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

            Assert.Contains(Setting, error.Message, StringComparison.Ordinal);
            Assert.Contains(address, error.Message, StringComparison.Ordinal);
            Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task It_refuses_an_endpoint_from_kestrel_configuration_too()
    {
        var address = $"http://0.0.0.0:{RunningApp.FreePort()}";
        var app = Program.CreateApp([$"--Kestrel:Endpoints:Public:Url={address}", $"--{Setting}=true", .. Tenant]);
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

            Assert.Contains(address, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:{0}")]
    [InlineData("http://localhost:{0}")]
    public async Task It_serves_on_loopback(string url)
    {
        var port = RunningApp.FreePort();
        var app = Program.CreateApp([$"--urls={string.Format(System.Globalization.CultureInfo.InvariantCulture, url, port)}", $"--{Setting}=true", .. Tenant]);
        try
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            using var response = await client.GetAsync(new Uri("/api/clusters", UriKind.Relative));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://127.8.9.10:5080", true)]
    [InlineData("https://[::1]:5443", true)]
    [InlineData("http://LOCALHOST:5000/base", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://[::]:5080", false)]
    [InlineData("http://*:80", false)]
    [InlineData("http://+:80", false)]
    [InlineData("http://10.0.0.4:5080", false)]
    [InlineData("http://localhost.example.com:80", false)]
    public void Loopback_means_localhost_or_a_loopback_ip(string address, bool loopback)
        => Assert.Equal(loopback, LoopbackOnlyGuard.IsLoopback(address));
}
