using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Composition;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Functions.Portal;
using GpuAutomation.Functions.Security;

namespace GpuAutomation.Functions;

public static class Program
{
    public static async Task Main(string[] args) => await CreateApp(args).RunAsync();

    /// <summary>
    /// The whole control plane app. <paramref name="configure"/> lets a composing host (the Sandbox, tests) register
    /// its own implementations before the app is built: an IMessageBus, a TimeProvider, an IRecordTableSource or any
    /// port registered there is used instead of the configured one.
    /// </summary>
    public static WebApplication CreateApp(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // The content root is the handler's folder, not the host's working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var mode = builder.AddFunctionsHosting();
        builder.Services.AddApiSecurity(builder.Configuration, mode);
        builder.Services.AddRestApi();
        builder.AddControlPlaneTelemetry();
        configure?.Invoke(builder);

        // After configure: the composing host's own bus, clock, stores or ports win (everything here is TryAdd).
        builder.Services.AddControlPlaneApp(builder.Configuration);

        var app = builder.Build();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseOperatorPortal();
        app.MapFunctionsHosting(mode);
        app.MapRestApi();
        return app;
    }
}
