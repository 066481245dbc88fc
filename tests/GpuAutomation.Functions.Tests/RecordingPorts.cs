using GpuAutomation.ControlPlane.Provisioning;
using System.Collections.Concurrent;
using System.Text.Json;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Hosting;
using Microsoft.AspNetCore.Http;

namespace GpuAutomation.Functions.Tests;

/// <summary>Test implementations of the hand-off ports: they keep what reached them, and can be told to fail.</summary>
public sealed class RecordingReportHandler : IHostReportHandler
{
    public ConcurrentQueue<(Message Report, ReportDelivery Delivery)> Received { get; } = new();

    public Exception? FailWith { get; set; }

    public Task HandleAsync(Message report, ReportDelivery delivery, CancellationToken cancellationToken)
    {
        if (FailWith is { } failure)
        {
            throw failure;
        }

        Received.Enqueue((report, delivery));
        return Task.CompletedTask;
    }
}

public sealed class RecordingEventHandler : IVmLifecycleEventHandler
{
    public ConcurrentQueue<VmLifecycleEvent> Received { get; } = new();

    public Task HandleAsync(VmLifecycleEvent resourceEvent, CancellationToken cancellationToken)
    {
        Received.Enqueue(resourceEvent);
        return Task.CompletedTask;
    }
}

public sealed class RecordingTimers : IComplianceScanner, IOutboxSweeper
{
    public ConcurrentQueue<TimerTick> Ticks { get; } = new();

    public bool FailSweep { get; set; }

    public Task ScanAllAsync(TimerTick tick, CancellationToken cancellationToken)
    {
        Ticks.Enqueue(tick);
        return Task.CompletedTask;
    }

    public Task SweepAsync(TimerTick tick, CancellationToken cancellationToken)
    {
        if (FailSweep)
        {
            throw new InvalidOperationException("table storage unavailable");
        }

        Ticks.Enqueue(tick);
        return Task.CompletedTask;
    }
}

/// <summary>Answers like the core would for a known cluster "cl1"; records every call that got through validation.</summary>
public sealed class RecordingApiServices : IClusterQueries, IPartitioningRequests, IPolicyDocuments, IComplianceReports
{
    public ConcurrentQueue<string> Calls { get; } = new();

    public Task<IResult> ListClustersAsync(CancellationToken cancellationToken) => Record("ListClusters", TypedResults.Ok(new[] { "cl1" }));

    public Task<IResult> GetInventoryAsync(string cluster, CancellationToken cancellationToken) => Record($"GetInventory {cluster}", TypedResults.Ok());

    public Task<IResult> ChangePartitionCountAsync(string cluster, PartitionCountChange change, string? idempotencyKey, CancellationToken cancellationToken)
        => Record($"ChangePartitionCount {cluster} {change.PartitionCount} [{string.Join(",", change.Gpus ?? [])}] {idempotencyKey}", TypedResults.Accepted("/api/partition-requests/r1"));

    public Task<IResult> SubmitAsync(PartitionRequestSubmission submission, string? idempotencyKey, CancellationToken cancellationToken)
        => Record($"Submit {submission.Cluster} {submission.Vm} {submission.Action} {submission.Node} {submission.Gpu} {idempotencyKey}", TypedResults.Accepted("/api/partition-requests/r1"));

    public Task<IResult> GetAsync(string requestId, CancellationToken cancellationToken) => Record($"Get {requestId}", TypedResults.Ok());

    public Task<IResult> ListAsync(PartitionRequestFilter filter, CancellationToken cancellationToken)
        => Record($"List {filter.Cluster} {filter.Status} {filter.Vm} {filter.PageSize} {filter.ContinuationToken}", TypedResults.Ok());

    Task<IResult> IPolicyDocuments.GetAsync(string cluster, CancellationToken cancellationToken) => Record($"GetPolicy {cluster}", TypedResults.Ok());

    public Task<IResult> PutAsync(string cluster, JsonElement policy, CancellationToken cancellationToken) => Record($"PutPolicy {cluster} {policy.GetRawText()}", TypedResults.NoContent());

    Task<IResult> IComplianceReports.GetAsync(string cluster, CancellationToken cancellationToken) => Record($"GetCompliance {cluster}", TypedResults.Ok());

    public Task<IResult> ScanAsync(string cluster, CancellationToken cancellationToken) => Record($"Scan {cluster}", TypedResults.Accepted("/api/clusters/cl1/compliance"));

    private Task<IResult> Record(string call, IResult result)
    {
        Calls.Enqueue(call);
        return Task.FromResult(result);
    }
}
