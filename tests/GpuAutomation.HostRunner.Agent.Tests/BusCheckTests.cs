using System.Net;
using System.Net.Sockets;
using GpuAutomation.HostRunner.Tools;
using GpuAutomation.Messaging.Tests;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary>
/// <c>HostRunner check</c>'s bus rows end to end: the command over the emulated node, with a Bus setting for the
/// Service Bus-shaped peer (the official SDK on the wire), whose queues exist only when created.
/// </summary>
public sealed class BusCheckTests : IDisposable
{
    private const string Cluster = "cluster1";
    private const string Node = "node1";
    private static readonly string CommandQueue = QueueNames.Commands(Cluster, Node);
    private readonly ServiceBusPeer _peer = new();
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "hostrunner-buscheck-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        _peer.Dispose();
        if (Directory.Exists(_journal))
        {
            Directory.Delete(_journal, true);
        }
    }

    [Fact]
    public async Task A_bus_with_both_queues_gives_two_green_rows_and_exit_0()
    {
        _peer.CreateQueue(QueueNames.Reports);
        _peer.CreateQueue(CommandQueue);

        var (code, rows) = await CheckAsync("--bus", _peer.ConnectionString, "--cluster", Cluster);

        Assert.Equal(0, code);
        Assert.Contains(rows, r => r.StartsWith($"PASS | {BusCheck.SendAssumption} ({QueueNames.Reports}) | sender link to {QueueNames.Reports} granted", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith($"PASS | {BusCheck.ReceiveAssumption} ({CommandQueue}) | peek on {CommandQueue} answered", StringComparison.Ordinal));
        Assert.Equal(0, await _peer.ReadyCountAsync(QueueNames.Reports));
    }

    [Fact]
    public async Task A_missing_command_queue_gives_a_red_row_naming_it_and_exit_1()
    {
        _peer.CreateQueue(QueueNames.Reports);

        var (code, rows) = await CheckAsync("--bus", _peer.ConnectionString, "--cluster", Cluster);

        Assert.Equal(1, code);
        Assert.Contains(rows, r => r.StartsWith($"PASS | {BusCheck.SendAssumption}", StringComparison.Ordinal));
        var red = Assert.Single(rows, r => r.StartsWith($"FAIL | {BusCheck.ReceiveAssumption} ({CommandQueue}) | queue-not-found", StringComparison.Ordinal));
        Assert.Contains($"Create {CommandQueue}", red, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_key_gives_red_unauthorized_rows_that_say_which_role_to_grant()
    {
        _peer.CreateQueue(QueueNames.Reports);
        _peer.CreateQueue(CommandQueue);

        var (code, rows) = await CheckAsync("--bus", _peer.ConnectionStringWithWrongKey, "--cluster", Cluster);

        Assert.Equal(1, code);
        Assert.Contains(rows, r => r.StartsWith($"FAIL | {BusCheck.SendAssumption} ({QueueNames.Reports}) | unauthorized", StringComparison.Ordinal) && r.Contains("Azure Service Bus Data Sender", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith($"FAIL | {BusCheck.ReceiveAssumption} ({CommandQueue}) | unauthorized", StringComparison.Ordinal) && r.Contains("Azure Service Bus Data Receiver", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_identity_that_may_only_send_gets_a_red_receive_row_naming_the_receiver_role()
    {
        _peer.CreateQueue(QueueNames.Reports);
        _peer.CreateQueue(CommandQueue);

        var (code, rows) = await CheckAsync("--bus", _peer.ConnectionStringFor(ServiceBusPeer.SendOnlyKeyName), "--cluster", Cluster);

        Assert.Equal(1, code);
        Assert.Contains(rows, r => r.StartsWith($"PASS | {BusCheck.SendAssumption}", StringComparison.Ordinal));
        var red = Assert.Single(rows, r => r.StartsWith($"FAIL | {BusCheck.ReceiveAssumption} ({CommandQueue}) | unauthorized", StringComparison.Ordinal));
        Assert.Contains("'Listen' claim(s) are required", red, StringComparison.Ordinal);
        Assert.Contains($"Grant Azure Service Bus Data Receiver on {CommandQueue}", red, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_namespace_that_never_answers_is_a_red_row_within_the_time_box()
    {
        // Accepts TCP and says nothing, like a filtered port behind a proxy: only the time box ends the probe.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var setting = $"Endpoint=sb://127.0.0.1:{port};SharedAccessKeyName=x;SharedAccessKey={Convert.ToBase64String(new byte[32])};UseDevelopmentEmulator=true";
        var started = DateTime.UtcNow;

        var (code, rows) = await CheckAsync("--bus", setting, "--cluster", Cluster, "--bus-timeout", "1");

        Assert.Equal(1, code);
        Assert.Contains(rows, r => r.StartsWith($"FAIL | {BusCheck.SendAssumption} ({QueueNames.Reports}) | no answer from", StringComparison.Ordinal) && r.Contains("within 1 s", StringComparison.Ordinal) && r.Contains("TCP 5671", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith($"FAIL | {BusCheck.ReceiveAssumption} ({CommandQueue}) | no answer from", StringComparison.Ordinal));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30), "check outlived its time boxes");
    }

    [Fact]
    public async Task Without_a_bus_setting_the_rows_warn_and_the_exit_code_stays_0()
    {
        var (code, rows) = await CheckAsync();

        Assert.Equal(0, code);
        Assert.Contains(rows, r => r.StartsWith($"WARN | {BusCheck.SendAssumption} | no Bus setting", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.StartsWith($"WARN | {BusCheck.ReceiveAssumption} | no Bus setting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bus_setting_without_a_cluster_fails_the_receive_row()
    {
        _peer.CreateQueue(QueueNames.Reports);

        var (code, rows) = await CheckAsync("--bus", _peer.ConnectionString);

        Assert.Equal(1, code);
        Assert.Contains(rows, r => r.StartsWith($"FAIL | {BusCheck.ReceiveAssumption} | cluster ''", StringComparison.Ordinal));
    }

    private async Task<(int Code, IReadOnlyList<string> Rows)> CheckAsync(params string[] busArgs)
    {
        var sample = Path.Combine(AppContext.BaseDirectory, "Simulation", "Samples", "two-node-a2.json");
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var code = await ToolCommand.RunAsync(["check", "--simulate", sample, "--node", Node, "--journal", _journal, .. busArgs], output, errors, CancellationToken.None);
        Assert.Equal(string.Empty, errors.ToString());
        return (code, output.ToString().Split(Environment.NewLine));
    }
}
