using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Nodes;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Rejections;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// The application services the REST handlers call, bound per request with <c>[AsParameters]</c> (eShop's service
/// bundles): the handlers call the core directly, no ports in between.
/// </summary>
public sealed class ApiServices(
    [FromServices] PartitionRequestService requests,
    [FromServices] InventoryQueries inventory,
    [FromServices] PolicyStore policies,
    [FromServices] ComplianceScan compliance,
    [FromServices] ComplianceReportStore complianceReports,
    [FromServices] NodeRegistry nodes,
    [FromServices] InventoryReset inventoryReset,
    [FromServices] RejectedMessageStore rejectedMessages,
    [FromServices] RequestQueue queue,
    [FromServices] TimeProvider time)
{
    public NodeRegistry Nodes { get; } = nodes;

    public InventoryReset InventoryReset { get; } = inventoryReset;

    public RejectedMessageStore RejectedMessages { get; } = rejectedMessages;

    public PartitionRequestService Requests { get; } = requests;

    /// <summary>The clusters' queues of waiting requests, read for the positions a request list shows.</summary>
    public RequestQueue Queue { get; } = queue;

    public InventoryQueries Inventory { get; } = inventory;

    public PolicyStore Policies { get; } = policies;

    public ComplianceScan Compliance { get; } = compliance;

    public ComplianceReportStore ComplianceReports { get; } = complianceReports;

    public TimeProvider Time { get; } = time;

    /// <summary>Who asked: the authenticated principal's name ("unknown" without one).</summary>
    public static string Caller(ClaimsPrincipal user) => user?.Identity?.Name is { Length: > 0 } name ? name : "unknown";
}
