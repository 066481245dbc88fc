using Azure.Identity;
using GpuAutomation.Functions.Api;
using GpuAutomation.Functions.Compliance;
using GpuAutomation.Functions.Configuration;
using GpuAutomation.Functions.Hosting;
using GpuAutomation.Functions.Outbox;
using GpuAutomation.Functions.Provisioning;
using GpuAutomation.Functions.Reports;
using GpuAutomation.Messaging;
using GpuAutomation.Messaging.Amqp;
using GpuAutomation.Messaging.InMemory;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GpuAutomation.Functions.Composition;

public static partial class ControlPlaneAppServiceCollectionExtensions
{
    /// <summary>
    /// Wires the app's ports to the control plane core (<see cref="ControlPlaneCoreServiceCollectionExtensions.AddControlPlaneCore"/>)
    /// and the bus. Everything is TryAdd, and <see cref="Program.CreateApp"/> calls this after the caller's configure
    /// callback: a composing host (the Sandbox, tests) that registered its own <see cref="IMessageBus"/>,
    /// <see cref="TimeProvider"/>, <c>IRecordTableSource</c> or any port keeps it.
    /// The bus, unless given: AMQP 1.0 to GpuAutomation:Bus:ConnectionString (amqp:// or a Service Bus connection
    /// string), else to the namespace in ServiceBusConnection:fullyQualifiedNamespace with DefaultAzureCredential
    /// (the app's managed identity), else in memory (nothing leaves the process).
    /// </summary>
    public static IServiceCollection AddControlPlaneApp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddHttpContextAccessor();
        services.AddControlPlaneCore(configuration);
        services.TryAddSingleton<IMessageBus>(sp => CreateBus(configuration, sp));
        services.TryAddSingleton<ICommandPublisher, BusCommandPublisher>();
        services.AddHostedService<DispatchRelay>();
        services.TryAddSingleton<IReportsQueueReceiver>(sp => new BusReportsQueueReceiver(sp.GetRequiredService<IMessageBus>()));
        services.TryAddSingleton<IHostReportHandler, HostReportHandler>();
        services.TryAddSingleton<IVmLifecycleEventHandler, VmLifecycleEventHandler>();
        services.TryAddSingleton<IComplianceScanner, ScheduledComplianceScanner>();
        services.TryAddSingleton<IOutboxSweeper, ScheduledOutboxSweeper>();
        services.TryAddSingleton<IClusterQueries, ClusterQueries>();
        services.TryAddSingleton<IPartitioningRequests, PartitioningRequests>();
        services.TryAddSingleton<IPolicyDocuments, PolicyDocuments>();
        services.TryAddSingleton<IComplianceReports, ComplianceReports>();
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Message bus: {Kind} ({Where})")]
    private static partial void LogBus(ILogger logger, string kind, string where);
}
