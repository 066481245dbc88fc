using Amqp;
using Amqp.Framing;
using GpuAutomation.HostRunner.Tools;
using GpuAutomation.Messaging.Topology;
using GpuAutomation.Testing;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary><c>HostRunner check</c>'s bus rows over the AMQP 1.0 adapter and a real RabbitMQ, where a probe must not declare the queues it asks about.</summary>
[Collection("rabbitmq")]
public sealed class RabbitMqBusCheckTests : IDisposable
{
    private const string Node = "node1";
    private readonly string _journal = Path.Combine(Path.GetTempPath(), "hostrunner-buscheck-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_journal))
        {
            Directory.Delete(_journal, true);
        }
    }

    [Fact]
    public async Task A_command_queue_nobody_declared_is_red_and_stays_missing_until_declared()
    {
        var cluster = "probe" + Guid.NewGuid().ToString("N")[..12];
        var commands = QueueNames.Commands(cluster, Node);
        await DeclareAsync(QueueNames.Reports);

        var (missingCode, missingRows) = await CheckAsync(cluster);
        var (againCode, _) = await CheckAsync(cluster);
        await DeclareAsync(commands);
        var (declaredCode, declaredRows) = await CheckAsync(cluster);

        Assert.Equal(1, missingCode);
        Assert.Contains(missingRows, r => r.StartsWith($"PASS | {BusCheck.SendAssumption} ({QueueNames.Reports})", StringComparison.Ordinal));
        var red = Assert.Single(missingRows, r => r.StartsWith($"FAIL | {BusCheck.ReceiveAssumption} ({commands}) | queue-not-found", StringComparison.Ordinal));
        Assert.Contains($"Create {commands}", red, StringComparison.Ordinal);
        Assert.Equal(1, againCode);
        Assert.Equal(0, declaredCode);
        Assert.Contains(declaredRows, r => r.StartsWith($"PASS | {BusCheck.ReceiveAssumption} ({commands})", StringComparison.Ordinal));
    }

    // Declares a queue as the bus would (a durable receiver terminus on its plain name) without taking anything: no credit.
    private static async Task DeclareAsync(string queue)
    {
        var connection = await new ConnectionFactory().CreateAsync(new Address(TestServices.AmqpAddress.ToString()));
        try
        {
            var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var link = new ReceiverLink(new Session(connection), "declare-" + Guid.NewGuid().ToString("N"), new Attach { Source = new Source { Address = queue, Durable = 1 }, Target = new Target() }, (_, _) => attached.TrySetResult());
            await attached.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await link.CloseAsync();
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    private async Task<(int Code, IReadOnlyList<string> Rows)> CheckAsync(string cluster)
    {
        var sample = Path.Combine(AppContext.BaseDirectory, "Simulation", "Samples", "two-node-a2.json");
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var code = await ToolCommand.RunAsync(
            ["check", "--simulate", sample, "--node", Node, "--journal", _journal, "--bus", TestServices.AmqpAddress.ToString(), "--cluster", cluster],
            output,
            errors,
            CancellationToken.None);
        Assert.Equal(string.Empty, errors.ToString());
        return (code, output.ToString().Split(Environment.NewLine));
    }
}
