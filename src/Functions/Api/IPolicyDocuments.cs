using System.Text.Json;

namespace GpuAutomation.Functions.Api;

/// <summary>
/// A cluster's provisioning policy as the core stores it. The API checks size, syntax and the cluster name; the
/// policy's members and their rules (including unknown members) belong to the core's policy model.
/// </summary>
public interface IPolicyDocuments
{
    Task<IResult> GetAsync(string cluster, CancellationToken cancellationToken);

    Task<IResult> PutAsync(string cluster, JsonElement policy, CancellationToken cancellationToken);
}
