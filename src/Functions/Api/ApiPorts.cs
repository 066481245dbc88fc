namespace GpuAutomation.Functions.Api;

/// <summary>Calls the port an endpoint is served by, or answers 503 not-configured when this deployment has none.</summary>
internal static class ApiPorts
{
    public static Task<IResult> CallAsync<TPort>(IServiceProvider services, Func<TPort, Task<IResult>> call)
        where TPort : class
        => services.GetService<TPort>() is { } port
            ? call(port)
            : Task.FromResult<IResult>(ApiProblems.NotConfigured(typeof(TPort).Name));

    /// <summary>Checks the cluster name first: an invalid one is answered 400 before the port is looked up.</summary>
    public static Task<IResult> ForClusterAsync<TPort>(string cluster, IServiceProvider services, Func<TPort, Task<IResult>> call)
        where TPort : class
        => ApiNames.CheckCluster(cluster) is { } invalid
            ? Task.FromResult<IResult>(invalid)
            : CallAsync(services, call);
}
