using System.Diagnostics;
using System.Threading.Channels;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.Commands;
using GpuAutomation.HostRunner.Configuration;
using GpuAutomation.HostRunner.Devices;
using GpuAutomation.HostRunner.Diagnostics;
using GpuAutomation.HostRunner.HyperV;
using GpuAutomation.HostRunner.Journal;
using GpuAutomation.HostRunner.Reporting;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Diagnostics;
using GpuAutomation.Messaging.Topology;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.HostRunner.Agent;

/// <summary>
/// One node's agent: consumes the node's command queue, journals each command (fsync) before settling it,
/// executes commands one at a time as journaled steps, reports progress, results, inventory snapshots and cluster
/// events to the reports queue. At start it re-sends results the broker never took and resumes unfinished
/// commands. Build one per node with a bus and that node's CIM client (MI, or the emulator for --simulate,
/// the Sandbox and tests).
/// </summary>
public sealed partial class HostRunnerAgent : IAsyncDisposable
{
    private readonly HostRunnerOptions _options;
    private readonly IMessageBus _bus;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly HyperVHost _host;
    private readonly ReportPublisher _publisher;
    private readonly InventoryReporter _inventory;
    private readonly Channel<JournaledCommand> _queue = Channel.CreateUnbounded<JournaledCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _stopInventory = new();
    private CommandJournal? _journal;
    private CommandExecutor? _executor;
    private IMessageConsumer? _consumer;
    private Task _executing = Task.CompletedTask;
    private Task _polling = Task.CompletedTask;
    private int _state;

    public HostRunnerAgent(
        HostRunnerOptions options,
        IMessageBus bus,
        ICimClient cim,
        TimeProvider? time = null,
        ILoggerFactory? loggerFactory = null,
        Func<string>? newId = null,
        ReportTokenSource? reportTokens = null,
        INvidiaSmi? nvidiaSmi = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(cim);
        options.Validate();
        this._options = options;
        this._bus = bus;
        this._time = time ?? TimeProvider.System;
        _loggers = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggers.CreateLogger<HostRunnerAgent>();
        var hyperV = new HyperVOptions
        {
            ShutdownTimeout = options.ShutdownTimeout,
            JobTimeout = options.JobTimeout,
            JobPollInterval = options.PollInterval,
            StatePollInterval = options.PollInterval,
            EnsureGpuVmSettings = options.EnsureGpuVmSettings,
        };
        // Every CIM call the agent makes gets a span and a latency measurement (only names, never values).
        _host = new HyperVHost(options.Node, cim as TracedCimClient ?? new TracedCimClient(cim), hyperV, this._time, _loggers, nvidiaSmi);
        _publisher = new ReportPublisher(bus, options.Cluster, options.Node, this._time, newId ?? (() => Guid.NewGuid().ToString("N")), reportTokens);
        _inventory = new InventoryReporter(_host, _publisher, _loggers.CreateLogger<InventoryReporter>());
    }

    public string Node => _options.Node;

    public string CommandQueue => QueueNames.Commands(_options.Cluster, _options.Node);

    /// <summary>The inventory last reported.</summary>
    public NodeInventory? LastInventory => _inventory.Last;

    /// <summary>
    /// Opens the journal, sends the start snapshot, re-sends unreported results, queues unfinished commands and
    /// starts consuming. Returns once the agent is ready to take commands.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The agent was started already.");
        }

        _journal = CommandJournal.Open(_options.JournalFolder, _time, _loggers.CreateLogger<CommandJournal>());
        _executor = new CommandExecutor(_host, _options.Cluster, _journal, _time, _loggers.CreateLogger<CommandExecutor>());
        await _inventory.ReportAsync(InventoryReason.Start, null, cancellationToken);
        foreach (var done in _journal.Unreported())
        {
            // Its inventory-after was read by the previous start: the start snapshot just sent supersedes it, and the
            // control plane lets a new start's inventory replace the old start's, so it must not come back after it.
            await ReportResultAsync(done, cancellationToken, withoutInventory: true);
        }

        foreach (var unfinished in _journal.Unfinished())
        {
            LogQueuedFromJournal(unfinished.CommandId, unfinished.Message.Envelope.MessageType, unfinished.Steps.Count);
            _queue.Writer.TryWrite(unfinished);
        }

        _executing = Task.Run(() => ExecuteLoopAsync(_stopping.Token), CancellationToken.None);
        _polling = Task.Run(() => PollLoopAsync(_stopInventory.Token), CancellationToken.None);
        // One delivery at a time keeps commands in the order the control plane sent them; handling is only a journal
        // write. Prefetch 1: a command's lock runs from its transfer, so nothing waits locked behind another (audit 3.14).
        _consumer = await _bus.StartConsumerAsync(CommandQueue, HandleAsync, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 1 }, cancellationToken);
        LogReady(_options.Node, _options.Cluster, CommandQueue, _journal.Path);
    }

    /// <summary>
    /// Stops consuming, lets the command in progress finish for up to <see cref="HostRunnerOptions.StopGracePeriod"/>,
    /// then cancels it (it stays unfinished in the journal and resumes at the next start).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        if (_consumer is not null)
        {
            await _consumer.StopAsync(cancellationToken);
            await _consumer.DisposeAsync();
        }

        await _stopInventory.CancelAsync();
        _queue.Writer.TryComplete();
        using var grace = new CancellationTokenSource(_options.StopGracePeriod, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(grace.Token, cancellationToken);
        using (linked.Token.Register(_stopping.Cancel))
        {
            await Task.WhenAll(_executing, _polling);
        }

        _journal?.Dispose();
        LogStopped(_options.Node);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
        _stopInventory.Dispose();
    }

    private Task<Settlement> HandleAsync(ReceivedMessage received, CancellationToken cancellationToken)
    {
        var message = received.Message;
        var envelope = message.Envelope;
        if (!MessageTypes.IsCommand(envelope.MessageType))
        {
            return Task.FromResult(Settlement.DeadLetter("not-a-command", $"{envelope.MessageType} {envelope.MessageId} arrived on command queue {received.Queue}; only commands belong there."));
        }

        // Settled as soon as the command is durable here: nothing that can wait on the reports queue (progress, a
        // re-sent result) runs while the broker's lock is held, so a slow reports queue can't lapse the lock and
        // dead-letter a command already journaled (audit fidelity-azure.md 3.14, problem 3). The execute loop reports.
        var journal = this._journal!;
        if (journal.Find(envelope.MessageId) is { } known)
        {
            LogDuplicate(envelope.MessageId, envelope.MessageType, known.IsFinished);
            if (known.IsFinished)
            {
                // Its result is sent again (the first may be what went missing), after settling, by the execute loop.
                _queue.Writer.TryWrite(known);
            }

            return Task.FromResult(Settlement.Complete);
        }

        // Journaled (and flushed) before the broker forgets it: from here the command survives a crash.
        // The consumer span's context (the sender's when nothing listens here): the execution joins the sender's trace.
        var command = journal.Receive(message, Activity.Current is { IdFormat: ActivityIdFormat.W3C } consuming ? consuming.Id : received.TraceParent);
        LogReceived(envelope.MessageId, envelope.MessageType, envelope.CorrelationId);
        _queue.Writer.TryWrite(command);
        return Task.FromResult(Settlement.Complete);
    }

    private async Task ExecuteLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var command in _queue.Reader.ReadAllAsync(cancellationToken))
            {
                using var activity = StartExecution(command);
                if (command.IsFinished)
                {
                    // A duplicate delivery of a finished command: send its result again.
                    activity?.SetTag("gpu.command.duplicate", true);
                    await ReportResultAsync(command, cancellationToken);
                    continue;
                }

                using var scope = _logger.BeginScope(new Dictionary<string, object?>
                {
                    ["CommandId"] = command.CommandId,
                    ["RequestId"] = command.Message.Envelope.CorrelationId,
                });
                try
                {
                    CommandResult result;
                    try
                    {
                        if (command.Steps.Count == 0)
                        {
                            // "Received", sent after the command was settled (see HandleAsync).
                            await ProgressAsync(command, null, cancellationToken);
                        }

                        result = await _executor!.ExecuteAsync(command, (step, ct) => ProgressAsync(command, step, ct), cancellationToken);
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        LogLeftUnfinished(command.CommandId, command.Steps.Count);
                        return;
                    }

                    _journal!.Complete(command, result);
                    Completed(activity, result);
                    LogCompleted(command.CommandId, command.Message.Envelope.MessageType, result.Outcome, (result.CompletedAt - result.StartedAt).TotalMilliseconds);
                    await ReportResultAsync(command, cancellationToken);
                    await ReportInventoryAsync(InventoryReason.AfterCommand, result.InventoryAfter, cancellationToken);
                }
#pragma warning disable CA1031 // A bug around one command must not stop the node from executing the next ones.
                catch (Exception e) when (e is not OperationCanceledException and not JournalException)
#pragma warning restore CA1031
                {
                    // Unfinished, it resumes at the next start; finished but unreported, its result is sent then.
                    LogCommandFault(e, command.CommandId, command.IsFinished);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (JournalException e)
        {
            // Without a writable journal no command can be executed safely: stop executing, keep the rest in the broker.
            LogJournalFailed(e, e.Code);
        }
    }

    /// <summary>
    /// The span of one command's execution, a child of the span it was received in (journaled with it, so a command
    /// resumed after a restart still joins its request's trace). Its steps, CIM calls and the result it publishes are
    /// inside it: the result carries this trace back to the control plane.
    /// </summary>
    private static Activity? StartExecution(JournaledCommand command)
    {
        var envelope = command.Message.Envelope;
        var parent = TraceContextProperties.Parse(command.TraceParent, null);
        var activity = HostRunnerTelemetry.Source.StartActivity("execute " + envelope.MessageType, ActivityKind.Internal, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(HostRunnerTelemetry.CommandIdAttribute, envelope.MessageId);
            activity.SetTag(HostRunnerTelemetry.RequestIdAttribute, envelope.CorrelationId);
            activity.SetTag("gpu.command.type", envelope.MessageType);
            activity.SetTag("gpu.node", envelope.Node);
            activity.SetTag("gpu.command.resumed", command.Steps.Count > 0);
        }

        return activity;
    }

    private static void Completed(Activity? activity, CommandResult result)
    {
        var outcome = result.Outcome.ToString();
        if (activity is not null)
        {
            activity.SetTag("gpu.command.outcome", outcome);
            if (result.Error is { } error)
            {
                activity.SetStatus(ActivityStatusCode.Error, error.Code);
                activity.SetTag("error.type", error.Code);
            }
        }

        HostRunnerTelemetry.CommandDuration.Record(
            (result.CompletedAt - result.StartedAt).TotalSeconds,
            new TagList { { "gpu.command.type", result.CommandType }, { "gpu.command.outcome", outcome } });
    }

    private async Task PollLoopAsync(CancellationToken cancellationToken)
    {
        var lastFull = _time.GetUtcNow();
        using var timer = new PeriodicTimer(_options.ChangePollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var full = _time.GetUtcNow() - lastFull >= _options.InventoryInterval;
                await ReportInventoryAsync(full ? InventoryReason.Schedule : InventoryReason.ChangeCheck, null, cancellationToken);
                if (full)
                {
                    lastFull = _time.GetUtcNow();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ReportInventoryAsync(InventoryReason reason, NodeInventory? known, CancellationToken cancellationToken)
    {
        try
        {
            await _inventory.ReportAsync(reason, known, cancellationToken);
        }
#pragma warning disable CA1031 // Inventory is reported again at the next poll: no failure may end the poll or command loop.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogInventoryFailed(e, reason);
        }
    }

    /// <summary>Sends the journaled result until the broker takes it, then marks it reported.</summary>
    private async Task ReportResultAsync(JournaledCommand command, CancellationToken cancellationToken, bool withoutInventory = false)
    {
        var result = withoutInventory ? command.Result! with { InventoryAfter = null } : command.Result!;
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await _publisher.PublishAsync(result, command.Message.Envelope.CorrelationId, cancellationToken);
                _journal!.MarkReported(command);
                return;
            }
            catch (MessagingException e)
            {
                LogResultPublishFailed(e, command.CommandId, delay);
                await Task.Delay(delay, _time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task ProgressAsync(JournaledCommand command, StepRecord? step, CancellationToken cancellationToken)
    {
        try
        {
            var envelope = command.Message.Envelope;
            await _publisher.PublishAsync(new CommandProgress(envelope.MessageId, envelope.MessageType, step, _time.GetUtcNow()), envelope.CorrelationId, cancellationToken);
        }
        catch (MessagingException e)
        {
            // Progress is advisory: the result carries every step, so a lost progress report loses nothing.
            LogProgressFailed(e, command.CommandId);
        }
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Command {CommandId} hit an unexpected fault (finished {Finished}); the agent goes on with the next command and deals with this one at its next start")]
    private partial void LogCommandFault(Exception exception, string commandId, bool finished);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "HostRunner ready on node {Node} of cluster {Cluster}: consuming {Queue}, journal {Journal}")]
    private partial void LogReady(string node, string cluster, string queue, string journal);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "HostRunner on node {Node} stopped")]
    private partial void LogStopped(string node);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Received {CommandId} ({CommandType}) for request {RequestId}")]
    private partial void LogReceived(string commandId, string commandType, string? requestId);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Duplicate {CommandId} ({CommandType}) not executed again; finished {Finished}")]
    private partial void LogDuplicate(string commandId, string commandType, bool finished);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Queued unfinished {CommandId} ({CommandType}) from the journal with {Steps} step(s) done")]
    private partial void LogQueuedFromJournal(string commandId, string commandType, int steps);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "{CommandId} ({CommandType}) finished {Outcome} in {ElapsedMs} ms")]
    private partial void LogCompleted(string commandId, string commandType, CommandOutcome outcome, double elapsedMs);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Stopping with {CommandId} unfinished after {Steps} step(s); it resumes at the next start")]
    private partial void LogLeftUnfinished(string commandId, int steps);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Critical, Message = "The command journal failed ({Code}); no further commands are executed until the agent restarts")]
    private partial void LogJournalFailed(Exception exception, string code);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "Inventory report ({Reason}) failed")]
    private partial void LogInventoryFailed(Exception exception, InventoryReason reason);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Sending the result of {CommandId} failed; retrying in {Delay}")]
    private partial void LogResultPublishFailed(Exception exception, string commandId, TimeSpan delay);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Sending progress of {CommandId} failed")]
    private partial void LogProgressFailed(Exception exception, string commandId);
}
