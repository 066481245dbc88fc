using GpuAutomation.Contracts.Messaging;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>Checks the names and ids that arrive in routes, queries and bodies, before anything is looked up.</summary>
public static class ApiNames
{
    public const int MaxGpuNameLength = 256;
    public const int MaxRequestIdLength = 128;
    public const int MaxIdempotencyKeyLength = 128;

    public static ProblemHttpResult? CheckCluster(string? cluster, string field = "cluster")
        => ResourceNames.IsValidHostName(cluster)
            ? null
            : Invalid(field, cluster, $"a cluster name is a DNS label: letters, digits and inner hyphens, at most {ResourceNames.MaxHostNameLength} characters");

    public static ProblemHttpResult? CheckNode(string? node, string field = "node")
        => ResourceNames.IsValidHostName(node)
            ? null
            : Invalid(field, node, $"a node name is a DNS label: letters, digits and inner hyphens, at most {ResourceNames.MaxHostNameLength} characters");

    public static ProblemHttpResult? CheckVm(string? vm, string field = "vm")
        => ResourceNames.IsValidVmName(vm)
            ? null
            : Invalid(field, vm, $"a VM name has 1 to {ResourceNames.MaxVmNameLength} characters and no control characters");

    public static ProblemHttpResult? CheckGpu(string? gpu, string field = "gpu")
        => gpu is { Length: > 0 and <= MaxGpuNameLength } && !string.IsNullOrWhiteSpace(gpu) && !gpu.Any(char.IsControl)
            ? null
            : Invalid(field, gpu, $"a GPU id has 1 to {MaxGpuNameLength} characters and no control characters");

    /// <summary>Request ids and idempotency keys: printable ASCII without spaces, bounded.</summary>
    public static ProblemHttpResult? CheckToken(string? value, string field, int maxLength, string code = ApiErrorCodes.InvalidName)
        => value is { Length: > 0 } && value.Length <= maxLength && value.All(c => c is > ' ' and < (char)127)
            ? null
            : Invalid(field, value, $"it must be 1 to {maxLength} printable ASCII characters without spaces", code);

    private static ProblemHttpResult Invalid(string field, string? value, string rule, string code = ApiErrorCodes.InvalidName)
    {
        var shown = value is null ? "(missing)" : value.Length > 80 ? $"'{value[..80]}…'" : $"'{value}'";
        return ApiProblems.BadRequest(code, code == ApiErrorCodes.InvalidHeader ? "Invalid header" : "Invalid name", $"{field} {shown} is not valid: {rule}.");
    }
}
