using Azure.Data.Tables;
using Azure.Identity;
using Azure.ResourceManager;
using GpuAutomation.Functions.Compliance;
using GpuAutomation.Functions.Configuration;
using GpuAutomation.Functions.Inventory;
using GpuAutomation.Functions.Outbox;
using GpuAutomation.Functions.Partitioning;
using GpuAutomation.Functions.Policies;
using GpuAutomation.Functions.Provisioning;
using GpuAutomation.Functions.Reports;
using GpuAutomation.Functions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GpuAutomation.Functions.Composition;

public static class ControlPlaneCoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the control plane core: stores on Table Storage when GpuAutomation:Tables:ConnectionString (Azurite,
    /// labs) or GpuAutomation:Tables:ServiceUri (managed identity) is set, in memory otherwise; the application
    /// services; TimeProvider.System and time-ordered ids unless already registered. The host registers
    /// <see cref="ICommandPublisher"/> (the bus) and any <see cref="IClusterEventObserver"/>, and runs the
    /// <see cref="DispatchQueue"/>: AddControlPlaneApp adds <see cref="DispatchRelay"/>; a host of the core alone that
    /// doesn't leaves every accepted command to the outbox sweep.
    /// </summary>
    public static IServiceCollection AddControlPlaneCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ControlPlaneOptions.SectionName);
        services.AddOptions<ControlPlaneOptions>().Configure(o =>
        {
            o.RequestTimeout = section.GetValue(nameof(o.RequestTimeout), o.RequestTimeout);
            o.CommandTimeToLive = section.GetValue(nameof(o.CommandTimeToLive), o.CommandTimeToLive);
            o.InventoryMaxAge = section.GetValue(nameof(o.InventoryMaxAge), o.InventoryMaxAge);
            o.OutboxGracePeriod = section.GetValue(nameof(o.OutboxGracePeriod), o.OutboxGracePeriod);
            o.IdempotencyClaimTimeout = section.GetValue(nameof(o.IdempotencyClaimTimeout), o.IdempotencyClaimTimeout);
            o.MaxConcurrencyAttempts = section.GetValue(nameof(o.MaxConcurrencyAttempts), o.MaxConcurrencyAttempts);
            o.MaxRowsPerRun = section.GetValue(nameof(o.MaxRowsPerRun), o.MaxRowsPerRun);
            o.TablePrefix = section.GetValue(nameof(o.TablePrefix), o.TablePrefix) ?? o.TablePrefix;
        });

        var connectionString = configuration[ConfigurationKey(AppSettingNames.TablesConnectionString)];
        var serviceUri = configuration[ConfigurationKey(AppSettingNames.TablesServiceUri)];
        var prefix = section.GetValue(nameof(ControlPlaneOptions.TablePrefix), "gpu") ?? "gpu";
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            services.TryAddSingleton<IRecordTableSource>(_ => new TableStorageRecordTableSource(new TableServiceClient(connectionString), prefix));
        }
        else if (!string.IsNullOrWhiteSpace(serviceUri))
        {
            services.TryAddSingleton<IRecordTableSource>(_ => new TableStorageRecordTableSource(
                new TableServiceClient(new Uri(serviceUri), new DefaultAzureCredential()), prefix));

            // In Azure (identity-based tables), tag rules read the Arc machine's tags with the app's managed identity.
            services.TryAddSingleton<IAzureTagReader>(_ => new ArmTagReader(new ArmClient(new DefaultAzureCredential())));
        }
        else
        {
            services.TryAddSingleton<IRecordTableSource, InMemoryRecordTableSource>();
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IIdSource, TimeOrderedIdSource>();
        services.TryAddSingleton<InventoryStore>();
        services.TryAddSingleton<RequestStore>();
        services.TryAddSingleton<PolicyStore>();
        services.TryAddSingleton<ComplianceReportStore>();
        services.TryAddSingleton<InventoryQueries>();
        services.TryAddSingleton<CommandDispatcher>();
        services.TryAddSingleton<DispatchQueue>();
        services.TryAddSingleton<PartitionRequestService>();
        services.TryAddSingleton<ReportIntake>();
        services.TryAddSingleton<OutboxSweeper>();
        services.TryAddSingleton<RequestTimeouts>();
        services.TryAddSingleton<ComplianceScan>();
        services.TryAddSingleton<IAzureTagReader, InMemoryTagReader>();
        services.TryAddSingleton<VmProvisioning>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IClusterEventObserver, VmProvisioning>(sp => sp.GetRequiredService<VmProvisioning>()));
        return services;
    }

    /// <summary>App settings use "__" (environment variables); IConfiguration reads them as ":".</summary>
    private static string ConfigurationKey(string appSetting) => appSetting.Replace("__", ":", StringComparison.Ordinal);
}
