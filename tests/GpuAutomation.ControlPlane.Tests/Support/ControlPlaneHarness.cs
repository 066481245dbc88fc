using GpuAutomation.ControlPlane;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using GpuAutomation.Testing;
using Microsoft.Extensions.Time.Testing;

namespace GpuAutomation.ControlPlane.Tests.Support;

/// <summary>The control plane core as the host wires it (AddControlPlaneCore), over given tables, a fake clock and a recording bus.</summary>
internal sealed class ControlPlaneHarness : IDisposable
{
    private readonly ServiceProvider _services;

    public ControlPlaneHarness(IRecordTableSource tables, params IClusterEventObserver[] observers)
        : this(tables, string.Empty, observers)
    {
    }

    /// <param name="idPrefix">Sets this instance's ids apart from another instance's on the same tables.</param>
    public ControlPlaneHarness(IRecordTableSource tables, string idPrefix, params IClusterEventObserver[] observers)
        : this(tables, idPrefix, null, observers)
    {
    }

    /// <param name="issuer">
    /// Reports must carry tokens of this issuer (validated through the production key source over its documents);
    /// null: development trust, as the Sandbox runs.
    /// </param>
    public ControlPlaneHarness(IRecordTableSource tables, string idPrefix, LocalTokenIssuer? issuer, params IClusterEventObserver[] observers)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(tables);
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton<IIdSource>(new SequentialIdSource(idPrefix));
        services.AddSingleton<GpuAutomation.Messaging.IMessageBus>(Bus);
        foreach (var observer in observers)
        {
            services.AddSingleton(observer);
        }

        IEnumerable<KeyValuePair<string, string?>> trust = [new("GpuAutomation:ReportAuthentication:DevelopmentTrust", "true")];
        if (issuer is not null)
        {
            services.AddSingleton<IReportSigningKeySource>(new OpenIdSigningKeySource(issuer.MetadataAddress, issuer, Time));
            trust = issuer.Settings();
        }

        // Registration is explicit, as a deployment's: the sample cluster's nodes are configured, nothing else is.
        services.AddControlPlaneCore(new ConfigurationBuilder().AddInMemoryCollection(RegisteredNodes).AddInMemoryCollection(trust).Build());
        _services = services.BuildServiceProvider();
    }

    /// <summary>The configuration that registers node1 to node3 of <see cref="Sample.Cluster"/>.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> RegisteredNodes { get; } =
        Enumerable.Range(1, 3).Select(i => new KeyValuePair<string, string?>($"GpuAutomation:Nodes:{Sample.Cluster}:node{i}:PrincipalId", Sample.PrincipalId($"node{i}"))).ToList();

    public FakeTimeProvider Time { get; } = new(Sample.Start);

    public RecordingPublisher Bus { get; } = new();

    public PartitionRequestService Requests => _services.GetRequiredService<PartitionRequestService>();

    public ReportIntake Intake => _services.GetRequiredService<ReportIntake>();

    public OutboxSweeper Sweeper => _services.GetRequiredService<OutboxSweeper>();

    public RequestTimeouts Timeouts => _services.GetRequiredService<RequestTimeouts>();

    public InventoryQueries Inventory => _services.GetRequiredService<InventoryQueries>();

    public RequestStore Store => _services.GetRequiredService<RequestStore>();

    public T Get<T>()
        where T : notnull
        => _services.GetRequiredService<T>();

    public async Task SeedAsync(params NodeInventory[] nodes)
    {
        foreach (var node in nodes)
        {
            await Intake.HandleAsync(Message.Create(new InventorySnapshot(node), "snap-" + Guid.NewGuid().ToString("N"), Sample.Cluster, node.Node, node.TakenAt), default);
        }
    }

    public Task<SubmitOutcome> AssignAsync(string vmName, string? idempotencyKey = null)
        => SubmitAsync(PartitionRequestSubmission.Assign(Sample.Cluster, vmName, idempotencyKey: idempotencyKey, requestedBy: "tester"));

    /// <summary>
    /// Submits, then lets the dispatch relay publish what it queued, as the app's relay does right after; the outcome
    /// carries the request as it is then (Dispatched once its command was published).
    /// </summary>
    public async Task<SubmitOutcome> SubmitAsync(PartitionRequestSubmission submission)
    {
        var outcome = await Requests.SubmitAsync(submission, default);
        await DispatchWaitingAsync();
        return outcome with { Request = await Requests.GetAsync(outcome.Request.Id, default) ?? outcome.Request };
    }

    /// <summary>What the app's dispatch relay does when it wakes: publishes every command waiting.</summary>
    public Task<int> DispatchWaitingAsync() => Get<DispatchQueue>().DispatchWaitingAsync(default);

    public Message Result(PartitionRequest request, CommandOutcome outcome, NodeInventory? inventoryAfter = null)
    {
        var at = Time.GetUtcNow();
        var error = outcome == CommandOutcome.Succeeded ? null : new CommandError("hyperv-job-failed", "Add-VMGpuPartitionAdapter failed with 32768.", "add-adapter", 32768);
        var body = new CommandResult(
            request.CommandId!,
            request.Action == PartitionAction.Assign ? MessageTypes.AssignPartition : request.Action == PartitionAction.Unassign ? MessageTypes.UnassignPartition : MessageTypes.ConfigurePartitionCount,
            outcome,
            [new StepRecord("ensure-vm-off", StepOutcome.Succeeded, at, at), new StepRecord("add-adapter", outcome == CommandOutcome.Succeeded ? StepOutcome.Succeeded : StepOutcome.Failed, at, at)],
            error,
            inventoryAfter,
            at,
            at);
        return Message.Create(body, "result-" + Guid.NewGuid().ToString("N"), request.Cluster, request.Node, at, request.Id);
    }

    public Message Progress(PartitionRequest request, string step)
    {
        var at = Time.GetUtcNow();
        var body = new CommandProgress(request.CommandId!, MessageTypes.AssignPartition, new StepRecord(step, StepOutcome.Succeeded, at, at), at);
        return Message.Create(body, "progress-" + Guid.NewGuid().ToString("N"), request.Cluster, request.Node, at, request.Id);
    }

    public void Dispose() => _services.Dispose();
}
