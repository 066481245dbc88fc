using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GpuAutomation.Testing;
using Xunit.Abstractions;

namespace GpuAutomation.Messaging.Tests;

/// <summary>
/// A RabbitMQ node of one test's own, started the way scripts/lib/services.sh starts the shared one (own node name,
/// epmd, ports on 127.0.0.1, HOME/mnesia/log under a temp folder, the AMQP 1.0 plugin, the gpu-* dead-letter
/// policy), so a test can stop and restart a broker without taking the shared one from under other tests. Stopping
/// is a whole-node stop (the Erlang VM exits), not stop_app: a restart then keeps only what is durable on disk.
/// </summary>
public sealed class DedicatedRabbitMqNode : IAsyncDisposable
{
    public const string DeadLetterQueue = "dead-letters";

    // Starting an Erlang VM on two shared cores under load can take minutes; waiting long is cheaper than a flaky failure.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    private readonly string _base;
    private readonly string _sbin;
    private readonly Dictionary<string, string> _environment;
    private readonly ITestOutputHelper _output;
    private Process? _epmd;
    private Process? _server;

    private DedicatedRabbitMqNode(string sbin, string @base, string nodeName, int amqpPort, int epmdPort, int distPort, ITestOutputHelper output)
    {
        _sbin = sbin;
        _base = @base;
        _output = output;
        NodeName = nodeName;
        AmqpPort = amqpPort;
        _environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = Path.Combine(@base, "home"),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(@base, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(@base, "log"),
            ["ERL_CRASH_DUMP"] = Path.Combine(@base, "log", "erl_crash.dump"),
            ["RABBITMQ_NODENAME"] = nodeName,
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(@base, "rabbitmq.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(@base, "enabled_plugins"),
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = amqpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = distPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_PID_FILE"] = Path.Combine(@base, "rabbitmq.pid"),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["ERL_EPMD_PORT"] = epmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
        };
    }

    public string NodeName { get; }

    public int AmqpPort { get; }

    public string Address => $"amqp://guest:guest@127.0.0.1:{AmqpPort}";

    /// <summary>Starts a fresh node (three tries on fresh ports, as the script does) with the gpu-* dead-letter policy.</summary>
    public static async Task<DedicatedRabbitMqNode> StartAsync(ITestOutputHelper output)
    {
        var sbin = Directory.Exists("/usr/lib/rabbitmq/lib")
            ? Directory.GetDirectories("/usr/lib/rabbitmq/lib", "rabbitmq_server-*").Select(d => Path.Combine(d, "sbin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "rabbitmq-server")))
            : null;
        if (sbin is null)
        {
            throw new InvalidOperationException($"RabbitMQ is not installed; run the tests with `{TestServices.TestCommand}`, which installs it.");
        }

        for (var attempt = 1; ; attempt++)
        {
            var @base = Path.Combine(Path.GetTempPath(), "gpuauto-rabbitmq-" + Guid.NewGuid().ToString("N")[..10]);
            var node = new DedicatedRabbitMqNode(sbin, @base, $"gpuauto-{Path.GetFileName(@base)}@localhost", FreePort(), FreePort(), FreePort(), output);
            try
            {
                await node.InitializeAsync();
                return node;
            }
            catch (Exception ex) when (attempt < 3)
            {
                output.WriteLine($"dedicated RabbitMQ attempt {attempt} failed, retrying on other ports: {ex.Message}");
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>Stops the whole node (the Erlang VM exits) and waits for its process to end.</summary>
    public async Task StopAsync()
    {
        await CtlAsync(TimeSpan.FromMinutes(2), "stop");
        if (_server is { } server)
        {
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            server.Dispose();
            _server = null;
        }
    }

    /// <summary>Starts the stopped node again on the same name, port and data folder.</summary>
    public async Task StartAgainAsync()
    {
        StartServer();
        await AwaitStartupAsync();
    }

    /// <summary>Runs this node's rabbitmqctl; returns its standard output.</summary>
    public async Task<string> CtlAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = NewStartInfo(Path.Combine(_sbin, "rabbitmqctl"));
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(NodeName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} on {NodeName} exited {process.ExitCode}: {await stdout} {await stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            try
            {
                await CtlAsync(TimeSpan.FromSeconds(60), "stop");
            }
#pragma warning disable CA1031 // Cleanup: the kill below ends it either way.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _output.WriteLine($"rabbitmqctl stop failed during cleanup: {ex.Message}");
            }
        }

        foreach (var process in new[] { _server, _epmd })
        {
            if (process is null)
            {
                continue;
            }

            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }

            process.Dispose();
        }

        _server = null;
        _epmd = null;
        try
        {
            Directory.Delete(_base, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task InitializeAsync()
    {
        foreach (var folder in new[] { "home", "mnesia", "log" })
        {
            Directory.CreateDirectory(Path.Combine(_base, folder));
        }

        await File.WriteAllTextAsync(_environment["RABBITMQ_CONFIG_FILE"], $"listeners.tcp.default = 127.0.0.1:{AmqpPort}\nloopback_users.guest = true\nlog.console = false\n");
        await File.WriteAllTextAsync(_environment["RABBITMQ_ENABLED_PLUGINS_FILE"], "[rabbitmq_amqp1_0].\n");
        var epmd = NewStartInfo("epmd");
        foreach (var argument in new[] { "-address", "127.0.0.1", "-port", _environment["ERL_EPMD_PORT"] })
        {
            epmd.ArgumentList.Add(argument);
        }

        _epmd = Process.Start(epmd)!;
        StartServer();
        await AwaitStartupAsync();
        // The same policy the script sets on the shared broker (scripts/lib/services.sh start_rabbitmq_once).
        await CtlAsync(TimeSpan.FromMinutes(1), "set_policy", "gpu-dead-letter", "^gpu-",
            $"{{\"dead-letter-exchange\":\"\",\"dead-letter-routing-key\":\"{DeadLetterQueue}\"}}", "--apply-to", "queues");
    }

    private void StartServer()
    {
        _server = Process.Start(NewStartInfo(Path.Combine(_sbin, "rabbitmq-server")))!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
    }

    // await_startup gives up at once while the node isn't registered with epmd yet, so ask until it answers.
    private async Task AwaitStartupAsync()
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await CtlAsync(TimeSpan.FromSeconds(60), "await_startup", "--timeout", "30");
                _output.WriteLine($"dedicated RabbitMQ {NodeName} up on 127.0.0.1:{AmqpPort} after {watch.Elapsed.TotalSeconds:F1} s");
                return;
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                if (watch.Elapsed > StartTimeout || _server is { HasExited: true })
                {
                    throw new InvalidOperationException($"RabbitMQ {NodeName} did not start within {StartTimeout}: {ex.Message}\n{Log()}", ex);
                }

                await Task.Delay(1000);
            }
        }
    }

    private string Log()
    {
        var log = Directory.Exists(Path.Combine(_base, "log"))
            ? Directory.GetFiles(Path.Combine(_base, "log"), "*.log").Select(File.ReadAllText).LastOrDefault()
            : null;
        return log is null ? "(no log)" : string.Join('\n', log.Split('\n').TakeLast(30));
    }

    private ProcessStartInfo NewStartInfo(string file)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
