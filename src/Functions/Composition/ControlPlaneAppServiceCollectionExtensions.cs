using GpuAutomation.ControlPlane;
using Azure.Identity;
using GpuAutomation.Functions.Api;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.Functions.Configuration;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Messaging.InMemory;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GpuAutomation.Functions.Composition;

public static partial class ControlPlaneAppServiceCollectionExtensions
{
    /// <summary>
    /// The control plane core (<see cref="ControlPlaneCoreServiceCollectionExtensions.AddControlPlaneCore"/>), the bus
    /// and the relay that publishes accepted commands. Everything is TryAdd, and <see cref="Program.CreateApp"/> calls this after the caller's configure
    /// callback: a composing host (the Sandbox, tests) that registered its own <see cref="IMessageBus"/>,
    /// <see cref="TimeProvider"/> or <c>IRecordTableSource</c> keeps it.
    /// The bus, unless given: AMQP 1.0 to GpuAutomation:Bus:ConnectionString (amqp:// or a Service Bus connection
    /// string), else to the namespace in ServiceBusConnection:fullyQualifiedNamespace with DefaultAzureCredential
    /// (the app's managed identity), else in memory (nothing leaves the process).
    /// </summary>
    public static IServiceCollection AddControlPlaneApp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddControlPlaneCore(configuration);
        services.TryAddSingleton<IMessageBus>(sp => CreateBus(configuration, sp));
        services.AddHostedService<DispatchRelay>();
        return services;
    }

    private static IMessageBus CreateBus(IConfiguration configuration, IServiceProvider services)
    {
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var logger = loggers.CreateLogger(typeof(ControlPlaneAppServiceCollectionExtensions).FullName!);
        var options = new AmqpMessageBusOptions { TimeProvider = services.GetRequiredService<TimeProvider>() };
        if (configuration[Key(AppSettingNames.BusConnectionString)] is { Length: > 0 } connectionString)
        {
            // A Service Bus connection string without a key means Entra ID; amqp:// URLs and SAS strings carry their secret.
            var keyless = !connectionString.TrimStart().StartsWith("amqp", StringComparison.OrdinalIgnoreCase)
                && !connectionString.Contains("SharedAccessKey", StringComparison.OrdinalIgnoreCase);
            var bus = MessageBusFactory.Create(connectionString, options, keyless ? new DefaultAzureCredential() : null, loggers);
            LogBus(logger, "connection string", $"{bus}");
            return bus;
        }

        if (configuration[Key(AppSettingNames.ServiceBusNamespace)] is { Length: > 0 } serviceBusNamespace)
        {
            var bus = MessageBusFactory.Create($"Endpoint=sb://{serviceBusNamespace}/", options, new DefaultAzureCredential(), loggers);
            LogBus(logger, "Service Bus with managed identity", $"{bus}");
            return bus;
        }

        LogBus(logger, "in memory", "no bus is configured: commands stay in this process");
        return new InMemoryMessageBus(services.GetRequiredService<TimeProvider>(), loggers);
    }

    private static string Key(string appSetting) => appSetting.Replace("__", ":", StringComparison.Ordinal);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Information, Message = "Message bus: {Kind} ({Where})")]
    private static partial void LogBus(ILogger logger, string kind, string where);
}
