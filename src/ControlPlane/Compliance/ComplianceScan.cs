using GpuAutomation.ControlPlane;
using System.Globalization;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.ControlPlane.Compliance;

/// <summary>
/// Checks a cluster's stored inventory against the compliance rules and its policy, stores the report, and sends the
/// remediations the policy allows — as ordinary partition requests (validated, audited, de-duplicated), at most
/// <see cref="Provisioning.RemediationPolicy.MaxRequestsPerScan"/> per scan.
/// </summary>
public sealed partial class ComplianceScan(
    InventoryQueries inventory,
    PolicyStore policies,
    ComplianceReportStore reports,
    PartitionRequestService requests,
    IIdSource ids,
    TimeProvider time,
    ILogger<ComplianceScan> logger)
{
    /// <summary>Scans one cluster; null when no node of it has reported.</summary>
    public async Task<ComplianceReport?> ScanAsync(string cluster, CancellationToken cancellationToken)
    {
        var view = await inventory.GetClusterAsync(cluster, cancellationToken);
        if (view is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var policy = await policies.GetEffectiveAsync(view.Cluster, cancellationToken);
        var findings = ComplianceEvaluator.Evaluate(view.Nodes, policy, now);
        var budget = policy.EffectiveRemediation.MaxRequestsPerScan;
        var reported = new List<ComplianceFinding>(findings.Count);
        foreach (var finding in findings)
        {
            if (budget > 0 && Submission(view, finding) is { } submission)
            {
                budget--;
                var outcome = await requests.SubmitAsync(submission, cancellationToken);
                LogRemediation(logger, view.Cluster, finding.Rule, finding.Resource, outcome.Request.Id, outcome.Request.Status);
                reported.Add(finding with { RemediationRequestId = outcome.Request.Id });
            }
            else
            {
                reported.Add(finding);
            }
        }

        var report = new ComplianceReport(ids.NewId(), view.Cluster, now, reported);
        await reports.SaveAsync(report, cancellationToken);
        LogScanned(logger, view.Cluster, report.Id, reported.Count, reported.Count(f => f.RemediationRequestId is not null));
        return report;
    }

    /// <summary>Scans every cluster that has reported; returns how many were scanned.</summary>
    public async Task<int> ScanAllAsync(CancellationToken cancellationToken)
    {
        var scanned = 0;
        foreach (var cluster in await inventory.ListClustersAsync(cancellationToken))
        {
            if (await ScanAsync(cluster.Cluster, cancellationToken) is not null)
            {
                scanned++;
            }
        }

        return scanned;
    }

    /// <summary>
    /// The request that would fix an automatic finding. Its idempotency key includes the snapshot the finding came
    /// from, so scans of the same snapshot don't ask twice, while a later snapshot that still shows the drift does.
    /// </summary>
    private static PartitionRequestSubmission? Submission(ClusterInventory view, ComplianceFinding finding)
    {
        if (finding.Remediation is not { Automatic: true, VmName: { } vmName, Node: { } node } fix)
        {
            return null;
        }

        var takenAt = view.FindNode(node)?.TakenAt.UtcTicks.ToString(CultureInfo.InvariantCulture) ?? "0";
        var key = $"remediate:{view.Cluster.ToLowerInvariant()}:{finding.Rule}:{fix.VmId?.ToString("N") ?? vmName}:{takenAt}";
        return fix.Kind switch
        {
            RemediationKind.SetOfflineAction => PartitionRequestSubmission.SetOfflineAction(
                view.Cluster, vmName, Contracts.Inventory.OfflineAction.ForceShutdown, fix.VmId, RequestOrigin.ComplianceRemediation, "compliance", key),
            RemediationKind.AssignPartition => PartitionRequestSubmission.Assign(view.Cluster, vmName, fix.VmId, RequestOrigin.ComplianceRemediation, "compliance", key),
            RemediationKind.UnassignPartition => PartitionRequestSubmission.Unassign(view.Cluster, vmName, fix.VmId, RequestOrigin.ComplianceRemediation, "compliance", key),
            _ => null,
        };
    }

    [LoggerMessage(EventId = 3500, Level = LogLevel.Information, Message = "Compliance remediation on {Cluster}: {Rule} for {Resource} → request {RequestId} ({Status})")]
    private static partial void LogRemediation(ILogger logger, string cluster, string rule, string resource, string requestId, RequestStatus status);

    [LoggerMessage(EventId = 3501, Level = LogLevel.Information, Message = "Compliance scan of {Cluster}: report {ReportId}, {Findings} finding(s), {Remediations} remediation request(s)")]
    private static partial void LogScanned(ILogger logger, string cluster, string reportId, int findings, int remediations);
}
