using System.Globalization;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.ServiceBus;
using GpuAutomation.Messaging.Topology;

namespace GpuAutomation.HostRunner.Tools;

/// <summary>
/// The <c>check</c> rows for the bus, with the identity the service will use (its Bus setting: a SAS key, or the
/// node's managed identity): may it send to the reports queue, and may it receive from this node's command queue?
/// Each is <see cref="IMessageBus.ProbeAsync"/>, which sends, receives and creates nothing, time-boxed so an
/// unreachable namespace gives a red row instead of a hung check.
/// </summary>
public sealed class BusCheck
{
    public const string SendAssumption = "bus: send reports";
    public const string ReceiveAssumption = "bus: receive commands";

    /// <summary>How long each probe may take by default: longer than the SDK's first connect, CBS and attach (~150 ms on loopback).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly string? _setting;
    private readonly Func<IMessageBus> _createBus;
    private readonly string? _cluster;
    private readonly string _node;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    /// <param name="setting">The Bus setting as configured (null or empty: not configured).</param>
    /// <param name="createBus">Creates the bus from <paramref name="setting"/> as the service does (it may throw a <see cref="MessagingException"/> for an unusable setting).</param>
    /// <param name="cluster">The Cluster setting; the command queue is named after it and <paramref name="node"/>.</param>
    public BusCheck(string? setting, Func<IMessageBus> createBus, string? cluster, string node, TimeSpan? timeout = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(createBus);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        _setting = setting;
        _createBus = createBus;
        _cluster = cluster;
        _node = node;
        _timeout = timeout ?? DefaultTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_timeout, TimeSpan.Zero, nameof(timeout));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The rows when no bus is configured (e.g. a --simulate run without --bus): nothing is probed, and that is a warning.</summary>
    public static IReadOnlyList<CheckRow> NotConfigured() =>
    [
        new(SendAssumption, "no Bus setting", CheckVerdict.Warn, NotConfiguredAction),
        new(ReceiveAssumption, "no Bus setting", CheckVerdict.Warn, NotConfiguredAction),
    ];

    public async Task<IReadOnlyList<CheckRow>> RunAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(_setting))
        {
            return NotConfigured();
        }

        IMessageBus bus;
        try
        {
            bus = _createBus();
        }
        catch (MessagingException e)
        {
            var read = OneLine($"{e.Code}: {e.Message}");
            const string Action = "Fix the Bus setting (--bus, HOSTRUNNER_Bus): Endpoint=sb://<namespace>.servicebus.windows.net/ (managed identity), with SharedAccessKeyName/SharedAccessKey (SAS), or amqp://user:password@host:port.";
            return [new(SendAssumption, read, CheckVerdict.Fail, Action), new(ReceiveAssumption, read, CheckVerdict.Fail, Action)];
        }

        var rows = new List<CheckRow>();
        try
        {
            var serviceBus = bus is ServiceBusMessageBus;
            rows.Add(await ProbeRowAsync(bus, serviceBus, SendAssumption, QueueNames.Reports, ProbeAccess.Send, cancellationToken));
            if (!ResourceNames.IsValidHostName(_cluster) || !ResourceNames.IsValidHostName(_node))
            {
                rows.Add(new(
                    ReceiveAssumption,
                    $"cluster '{_cluster}', node '{_node}': no command queue can be named",
                    CheckVerdict.Fail,
                    "Set Cluster (--cluster, HOSTRUNNER_Cluster) and Node (HOSTRUNNER_Node) as the service will have them: the agent needs both to start."));
            }
            else
            {
                rows.Add(await ProbeRowAsync(bus, serviceBus, ReceiveAssumption, QueueNames.Commands(_cluster!, _node), ProbeAccess.Receive, cancellationToken));
            }
        }
        finally
        {
            // A probe abandoned at its time box may still be connecting; disposing must not hang the check either.
            try
            {
                await bus.DisposeAsync().AsTask().WaitAsync(_timeout, _time);
            }
            catch (TimeoutException)
            {
            }
        }

        return rows;
    }

    private async Task<CheckRow> ProbeRowAsync(IMessageBus bus, bool serviceBus, string assumption, string queue, ProbeAccess access, CancellationToken cancellationToken)
    {
        var named = $"{assumption} ({queue})";
        using var timeBox = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeBox.Token);
        try
        {
            // WaitAsync as well: the SDK opens links under its own TryTimeout (60 s) and honours the token only between tries.
            var result = await bus.ProbeAsync(queue, access, linked.Token).WaitAsync(linked.Token);
            return new(named, result.Detail, CheckVerdict.Pass, string.Empty);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(named, Inv($"no answer from {bus} within {_timeout.TotalSeconds} s"), CheckVerdict.Fail, NetworkAction(serviceBus));
        }
        catch (MessagingException e)
        {
            return new(named, OneLine($"{e.Code}: {e.Message}"), CheckVerdict.Fail, Action(e.Code, serviceBus, queue, access));
        }
    }

    private string Action(string code, bool serviceBus, string queue, ProbeAccess access) => code switch
    {
        MessagingErrors.Unauthorized when serviceBus => access == ProbeAccess.Send
            ? $"Grant Azure Service Bus Data Sender on {queue} to this node's managed identity (infra/ does it per node), or use a SAS policy with Send; check the key if the setting carries one."
            : $"Grant Azure Service Bus Data Receiver on {queue} to this node's managed identity (infra/ does it per node), or use a SAS policy with Listen; check the key if the setting carries one.",
        MessagingErrors.Unauthorized => $"Check the user and password in the amqp:// address and the user's {(access == ProbeAccess.Send ? "write" : "read")} permission on {queue}.",
        MessagingErrors.QueueNotFound => access == ProbeAccess.Send
            ? $"Create {queue} (infra/ deploys it) or point Bus at the namespace that has it."
            : $"Create {queue} (infra/ deploys one per registered node) or fix Cluster '{_cluster}' / Node '{_node}' so they match the registered names.",
        MessagingErrors.BrokerUnavailable => NetworkAction(serviceBus),
        _ => $"The broker refused the link to {queue}: see what was read (e.g. a disabled queue).",
    };

    private static string NetworkAction(bool serviceBus) => serviceBus
        ? "Check the namespace name in the Bus setting and the network: this node must reach <namespace>.servicebus.windows.net on TCP 5671 (AMQP over TLS)."
        : "Check the broker's host and port in the Bus setting and that this node can reach it.";

    private const string NotConfiguredAction = "Give check the Bus setting the service will use (--bus, HOSTRUNNER_Bus; with --cluster) to test this node's identity against the bus.";

    // The SDK's messages end with a line of their own ("For troubleshooting information, see …"); a table row is one line.
    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
