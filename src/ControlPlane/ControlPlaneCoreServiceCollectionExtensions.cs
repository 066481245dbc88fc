using Microsoft.Extensions.Logging;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.ResourceManager;
using GpuAutomation.ControlPlane.Compliance;
using GpuAutomation.ControlPlane.Diagnostics;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Nodes;
using GpuAutomation.ControlPlane.Outbox;
using GpuAutomation.ControlPlane.Placement;
using GpuAutomation.ControlPlane.Partitioning;
using GpuAutomation.ControlPlane.Policies;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Queueing;
using GpuAutomation.ControlPlane.Rejections;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.ControlPlane.Rollout;
using GpuAutomation.ControlPlane.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane;

public static class ControlPlaneCoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the control plane core: <see cref="ControlPlaneOptions"/> bound from "GpuAutomation:ControlPlane" and
    /// validated at start; stores on Table Storage when GpuAutomation:Tables:ConnectionString (Azurite, labs) or
    /// GpuAutomation:Tables:ServiceUri (managed identity) is set, in memory otherwise; the application services;
    /// TimeProvider.System and time-ordered ids unless already registered. Everything is TryAdd: a composing host's
    /// own clock, ids, table source or bus wins. The host registers the <see cref="GpuAutomation.Messaging.IMessageBus"/>
    /// and runs the <see cref="DispatchQueue"/> (the Functions app adds <see cref="DispatchRelay"/>; a host of the
    /// core alone that doesn't leaves every accepted command to the outbox sweep).
    /// </summary>
    public static IServiceCollection AddControlPlaneCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ControlPlaneOptions>()
            .Bind(configuration.GetSection(ControlPlaneOptions.SectionName))
            .ValidateOnStart();
        services.TryAddSingleton<IValidateOptions<ControlPlaneOptions>, ControlPlaneOptionsValidation>();
        // Registered nodes (issue 16, item 2): GpuAutomation:Nodes:<cluster>:<node>:PrincipalId.
        services.AddOptions<NodeRegistryOptions>().Configure(o =>
        {
            configuration.GetSection(NodeRegistryOptions.SectionName).Bind(o.Clusters);
            o.AddList(configuration.GetSection(NodeRegistryOptions.ListSectionName));
        });
        // Report authentication (issue 16, item 1): tenant + audience, or an explicit development trust.
        services.AddOptions<ReportAuthenticationOptions>()
            .Bind(configuration.GetSection(ReportAuthenticationOptions.SectionName))
            .ValidateOnStart();
        services.TryAddSingleton<IValidateOptions<ReportAuthenticationOptions>, ReportAuthenticationOptionsValidation>();
        services.AddOptions<TableStorageOptions>().Bind(configuration.GetSection(TableStorageOptions.SectionName));

        var tables = configuration.GetSection(TableStorageOptions.SectionName).Get<TableStorageOptions>() ?? new TableStorageOptions();
        var prefix = configuration.GetSection(ControlPlaneOptions.SectionName).Get<ControlPlaneOptions>()?.TablePrefix ?? ControlPlaneOptions.DefaultTablePrefix;
        if (!string.IsNullOrWhiteSpace(tables.ConnectionString))
        {
            services.TryAddSingleton<IRecordTableSource>(_ => new TableStorageRecordTableSource(new TableServiceClient(tables.ConnectionString), prefix));
        }
        else if (tables.ServiceUri is { } serviceUri)
        {
            services.TryAddSingleton<IRecordTableSource>(_ => new TableStorageRecordTableSource(new TableServiceClient(serviceUri, new DefaultAzureCredential()), prefix));

            // In Azure (identity-based tables), Event Grid events are matched by reading the Arc machine and VM
            // instance with the app's managed identity.
            services.TryAddSingleton<IAzureLocalVmReader>(sp => new ArmAzureLocalVmReader(
                new ArmClient(new DefaultAzureCredential(), defaultSubscriptionId: null, ArmAzureLocalVmReader.Options()),
                sp.GetRequiredService<ILogger<ArmAzureLocalVmReader>>()));
        }
        else
        {
            services.TryAddSingleton<IRecordTableSource, InMemoryRecordTableSource>();
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IIdSource, TimeOrderedIdSource>();
        services.TryAddSingleton<InventoryStore>();
        services.TryAddSingleton<RequestIndex>();
        services.TryAddSingleton<RequestStore>();
        services.TryAddSingleton<PolicyStore>();
        services.TryAddSingleton<ComplianceReportStore>();
        services.TryAddSingleton<RejectedMessageStore>();
        services.TryAddSingleton<NodeRegistry>();
        services.TryAddSingleton<InventoryQueries>();
        services.TryAddSingleton<InventoryReset>();
        services.TryAddSingleton<CommandDispatcher>();
        services.TryAddSingleton<DispatchQueue>();
        services.TryAddSingleton<RequestQueue>();
        services.TryAddSingleton<RequestCommands>();
        services.TryAddSingleton<RequestAdmission>();
        services.TryAddSingleton<VmPlacer>();
        services.TryAddSingleton<PartitionRequestService>();
        services.TryAddSingleton<QueueBackfill>();
        services.TryAddSingleton<QueuePlacer>();
        services.TryAddSingleton<QueueExpiry>();
        services.TryAddSingleton<RolloutStore>();
        services.TryAddSingleton<RolloutPlanning>();
        services.TryAddSingleton<RolloutRunner>();
        services.TryAddSingleton<IReportSigningKeySource>(sp => OpenIdSigningKeySource.ForTenant(sp.GetRequiredService<IOptions<ReportAuthenticationOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ReportAuthenticationOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            var logger = sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<ReportAuthenticator>>();
            return options.DevelopmentTrust
                ? ReportAuthenticator.DevelopmentTrust(time, logger)
                : new ReportAuthenticator(options, sp.GetRequiredService<IReportSigningKeySource>(), time, logger);
        });
        services.AddHostedService<ReportAuthenticationStartup>();
        services.TryAddSingleton<CapacityMetrics>();
        services.TryAddSingleton<QueueMetrics>();
        services.TryAddSingleton<LateMoveAdmission>();
        services.TryAddSingleton<PlacementContinuation>();
        services.TryAddSingleton<ReportIntake>();
        services.TryAddSingleton<OutboxSweeper>();
        services.TryAddSingleton<RequestTimeouts>();
        services.TryAddSingleton<ComplianceScan>();
        services.TryAddSingleton<IAzureLocalVmReader, InMemoryAzureLocalVmReader>();
        services.TryAddSingleton<VmProvisioning>();
        services.TryAddSingleton<VmLifecycleEventHandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterEventObserver, VmProvisioning>(sp => sp.GetRequiredService<VmProvisioning>()));
        return services;
    }
}
