using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using GpuAutomation.Functions.Configuration;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Functions.Security;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.Functions.Tests;

/// <summary>The package scripts/publish-functions.sh assembles is what the Functions host expects.</summary>
public sealed class PackageLayoutTests(PublishedPackage package) : IClassFixture<PublishedPackage>
{
    [Fact]
    public void Host_json_names_an_executable_handler_that_exists_in_the_package()
    {
        var host = HostJson();
        var description = host["customHandler"]!["description"]!;
        var executable = Path.Combine(package.Root, description["defaultExecutablePath"]!.GetValue<string>());

        Assert.True(File.Exists(executable), $"{executable} is not in the package.");
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(executable).HasFlag(UnixFileMode.UserExecute), $"{executable} is not executable.");
        // The YARP proxy streams bodies; the legacy forwarding drops a body without Content-Length (audit fidelity-azure 2.5).
        Assert.True(host["customHandler"]!["enableProxyingHttpRequest"]!.GetValue<bool>());
        Assert.Null(host["customHandler"]!["enableForwardingHttpRequest"]);
        Assert.Equal("Microsoft.Azure.Functions.ExtensionBundle", host["extensionBundle"]!["id"]!.GetValue<string>());
        Assert.Equal("[4.*, 5.0.0)", host["extensionBundle"]!["version"]!.GetValue<string>());
        Assert.Equal("api", host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        Assert.True(TimeSpan.Parse(host["functionTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) >= TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void Every_function_folder_of_the_source_is_in_the_package_with_the_same_function_json()
    {
        var source = Directory.GetDirectories(RouteCatalog.FunctionAppFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var packaged = Directory.GetDirectories(package.Root)
            .Where(d => File.Exists(Path.Combine(d, "function.json")))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(source, packaged);
        foreach (var function in source)
        {
            Assert.Equal(
                File.ReadAllText(Path.Combine(RouteCatalog.FunctionAppFolder, function!, "function.json")),
                File.ReadAllText(Path.Combine(package.Root, function!, "function.json")));
        }
    }

    [Fact]
    public void The_invocation_functions_bind_the_names_the_handler_reads()
    {
        var triggers = RouteCatalog.Triggers(package.Root).Where(t => RouteCatalog.IsInvocationFunction(t.Function)).ToDictionary(t => t.Function, t => t.Trigger);

        Assert.Equal(FunctionNames.All.Order(StringComparer.Ordinal), triggers.Keys.Order(StringComparer.Ordinal));

        var reports = triggers[FunctionNames.HostReports];
        Assert.Equal("serviceBusTrigger", reports["type"]!.GetValue<string>());
        Assert.Equal(FunctionNames.HostReportsBinding, reports["name"]!.GetValue<string>());
        Assert.Equal(QueueNames.Reports, reports["queueName"]!.GetValue<string>());
        Assert.Equal(AppSettingNames.ServiceBusConnection, reports["connection"]!.GetValue<string>());
        Assert.StartsWith(reports["connection"]!.GetValue<string>() + "__", AppSettingNames.ServiceBusNamespace, StringComparison.Ordinal);
        Assert.Equal("binary", reports["dataType"]!.GetValue<string>());

        var events = triggers[FunctionNames.VmLifecycleEvents];
        Assert.Equal("eventGridTrigger", events["type"]!.GetValue<string>());
        Assert.Equal(FunctionNames.VmLifecycleEventsBinding, events["name"]!.GetValue<string>());

        foreach (var (function, setting) in new[] { (FunctionNames.ComplianceScan, AppSettingNames.ComplianceScanSchedule), (FunctionNames.OutboxSweep, AppSettingNames.OutboxSweepSchedule) })
        {
            Assert.Equal("timerTrigger", triggers[function]["type"]!.GetValue<string>());
            Assert.Equal(FunctionNames.TimerBinding, triggers[function]["name"]!.GetValue<string>());
            Assert.Equal($"%{setting}%", triggers[function]["schedule"]!.GetValue<string>());
        }
    }

    [Fact]
    public void The_handler_folder_holds_no_function_json_the_host_could_mistake_for_a_function()
    {
        var handler = Path.GetDirectoryName(Path.Combine(package.Root, HostJson()["customHandler"]!["description"]!["defaultExecutablePath"]!.GetValue<string>()))!;

        Assert.Empty(Directory.GetFiles(handler, "function.json", SearchOption.AllDirectories));
    }

    [Fact]
    public void Http_functions_qualify_for_request_proxying()
    {
        // The host proxies the raw request only when the bindings are exactly one httpTrigger in and one http out
        // (DefaultHttpWorkerService.InvokeAsync: IsHttpInAndOutFunction).
        foreach (var file in Directory.GetDirectories(package.Root).Select(d => Path.Combine(d, "function.json")).Where(File.Exists))
        {
            var function = Path.GetFileName(Path.GetDirectoryName(file)!);
            if (RouteCatalog.IsInvocationFunction(function))
            {
                continue;
            }

            var bindings = JsonNode.Parse(File.ReadAllText(file))!["bindings"]!.AsArray();
            Assert.Equal(2, bindings.Count);
            Assert.Equal("httpTrigger", bindings[0]!["type"]!.GetValue<string>());
            Assert.Equal("anonymous", bindings[0]!["authLevel"]!.GetValue<string>());
            Assert.Equal("http", bindings[1]!["type"]!.GetValue<string>());
            Assert.Equal("out", bindings[1]!["direction"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task The_packaged_handler_starts_as_the_host_starts_it_and_speaks_the_protocol()
    {
        var host = HostJson();
        var executable = Path.Combine(package.Root, host["customHandler"]!["description"]!["defaultExecutablePath"]!.GetValue<string>());
        var port = RunningApp.FreePort();
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = package.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment[CustomHandlerEnvironment.Port] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment[CustomHandlerEnvironment.WorkerId] = Guid.NewGuid().ToString();
        start.Environment[CustomHandlerEnvironment.AppRootPath] = package.Root;
        start.Environment[PlatformAuthentication.EnabledVariable] = "True";

        // As deployed (infra/): reports authenticated against a tenant; no report is sent, so no key is fetched.
        start.Environment[Configuration.AppSettingNames.ReportTenantId] = "7f3c2b1a-0d4e-4f5a-9b6c-8d7e6f5a4b3c";
        start.Environment[Configuration.AppSettingNames.ReportAudience] = "api://gpu-automation-test";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };

            // Like the host: poll the base URL every 25 ms for up to 30 s; any HTTP response means ready.
            var ready = false;
            for (var deadline = DateTime.UtcNow.AddSeconds(30); !ready && DateTime.UtcNow < deadline && !process.HasExited;)
            {
                try
                {
                    using var probe = await client.GetAsync(new Uri("/", UriKind.Relative));
                    ready = true;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(25);
                }
            }

            Assert.True(ready, $"The handler never answered on port {port}:\n{output}");

            using var invocation = await client.PostAsync(
                new Uri("/" + FunctionNames.HostReports, UriKind.Relative),
                new StringContent(Payloads.ServiceBusBinary(Encoding.UTF8.GetBytes("{\"messageType\":42}"), "poison-1"), Encoding.UTF8, "application/json"));
            var body = JsonNode.Parse(await invocation.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.OK, invocation.StatusCode);
            Assert.Equal(InvocationOutcome.Rejected, body["ReturnValue"]!["Status"]!.GetValue<string>());

            var health = await client.GetFromJsonAsync<JsonObject>(new Uri("/api/health", UriKind.Relative));
            Assert.Equal("FunctionsHost", health!["mode"]!.GetValue<string>());
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private JsonNode HostJson() => JsonNode.Parse(File.ReadAllText(Path.Combine(package.Root, "host.json")))!;
}
