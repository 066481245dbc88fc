using System.Text.Json;
using GpuAutomation.Functions.Configuration;
using GpuAutomation.Testing;
using Microsoft.Extensions.Configuration;

namespace GpuAutomation.Infra.Tests;

[Collection(ClusterDeploymentCollection.Name)]
public sealed class FunctionAppTests(ClusterDeployment deployment)
{
    private readonly DeploymentSnapshot _snapshot = deployment.Snapshot;

    private JsonElement Site => _snapshot.Single("Microsoft.Web/sites");

    private Dictionary<string, string> AppSettings
        => Site.GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("value").GetString()!);

    [Fact]
    public void App_settings_are_the_ones_the_control_plane_reads_plus_the_hosts_identity_based_ones()
    {
        string[] expected =
        [
            AppSettingNames.ServiceBusNamespace,
            AppSettingNames.TablesServiceUri,
            AppSettingNames.ComplianceScanSchedule,
            AppSettingNames.OutboxSweepSchedule,
            "AzureWebJobsStorage__accountName",
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
            AppSettingNames.ReportTenantId,
            AppSettingNames.ReportAudience,
            AppSettingNames.ReportClientId,
        ];

        Assert.Equal(
            expected.Order(StringComparer.Ordinal),
            AppSettings.Keys.Where(k => !k.StartsWith(AppSettingNames.NodeListPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Reports_are_authenticated_against_the_deployments_tenant_for_the_api_apps_audience()
    {
        var apiClientId = ClusterDeployment.Cluster.ApiClientId;

        Assert.Equal(DeploymentSnapshot.TenantId, AppSettings[AppSettingNames.ReportTenantId]);
        Assert.Equal($"api://{apiClientId}", AppSettings[AppSettingNames.ReportAudience]);
        Assert.Equal(apiClientId, AppSettings[AppSettingNames.ReportClientId]);
    }

    [Fact]
    public void Every_node_is_registered_with_its_arc_principal_in_names_app_settings_allow()
    {
        var list = AppSettings.Where(s => s.Key.StartsWith(AppSettingNames.NodeListPrefix, StringComparison.Ordinal)).ToList();

        // configure-common: app setting names hold only letters, digits, periods and underscores.
        Assert.All(AppSettings.Keys, k => Assert.Matches("^[A-Za-z0-9._]+$", k));
        Assert.Equal(ClusterDeployment.Cluster.Nodes.Count * 3, list.Count);

        // Read back as the control plane reads its configuration ("__" = section separator).
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(AppSettings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)))
            .Build();
        var registry = new GpuAutomation.ControlPlane.Nodes.NodeRegistryOptions();
        registry.AddList(configuration.GetSection(GpuAutomation.ControlPlane.Nodes.NodeRegistryOptions.ListSectionName));
        var authentication = new GpuAutomation.ControlPlane.Reports.ReportAuthenticationOptions();
        configuration.GetSection(GpuAutomation.ControlPlane.Reports.ReportAuthenticationOptions.SectionName).Bind(authentication);

        var registered = Assert.Single(registry.Clusters);
        Assert.Equal(ClusterDeployment.Cluster.ClusterName, registered.Key);
        Assert.Equal(
            ClusterDeployment.Cluster.Nodes.Select(n => (n.Name, n.PrincipalId)).Order(),
            registered.Value.Select(n => (n.Key, n.Value.PrincipalId!)).Order());
        Assert.Empty(authentication.Problems());
    }

    [Fact]
    public void Service_bus_connection_is_identity_based_on_the_deployed_namespace()
    {
        var namespaceId = DeploymentSnapshot.Id(_snapshot.Single("Microsoft.ServiceBus/namespaces"));

        Assert.StartsWith(AppSettingNames.ServiceBusConnection + "__", AppSettingNames.ServiceBusNamespace, StringComparison.Ordinal);
        // The host of https://<namespace>.servicebus.windows.net:443/, read from the deployed namespace.
        Assert.Equal(
            $"[split(split(split(reference('{namespaceId}', '2024-01-01').serviceBusEndpoint, '//')[1], '/')[0], ':')[0]]",
            AppSettings[AppSettingNames.ServiceBusNamespace]);
    }

    [Fact]
    public void Tables_and_host_storage_point_at_the_deployed_account_without_keys()
    {
        var account = _snapshot.Single("Microsoft.Storage/storageAccounts");

        Assert.Equal(
            $"[reference('{DeploymentSnapshot.Id(account)}', '2023-05-01').primaryEndpoints.table]",
            AppSettings[AppSettingNames.TablesServiceUri]);
        Assert.Equal(DeploymentSnapshot.ShortName(account), AppSettings["AzureWebJobsStorage__accountName"]);
        Assert.DoesNotContain("AzureWebJobsStorage", AppSettings.Keys);
        Assert.DoesNotContain(AppSettingNames.TablesConnectionString, AppSettings.Keys);
        Assert.DoesNotContain(AppSettingNames.BusConnectionString, AppSettings.Keys);
    }

    [Fact]
    public void Timer_schedules_are_six_field_ncrontab_expressions()
    {
        foreach (var name in new[] { AppSettingNames.ComplianceScanSchedule, AppSettingNames.OutboxSweepSchedule })
        {
            Assert.Equal(6, AppSettings[name].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        }
    }

    [Fact]
    public void Telemetry_is_sent_with_the_app_identity()
    {
        Assert.Equal("Authorization=AAD", AppSettings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.True(_snapshot.Single("Microsoft.Insights/components").GetProperty("properties").GetProperty("DisableLocalAuth").GetBoolean());
    }

    [Fact]
    public void App_runs_on_flex_consumption_with_a_system_assigned_identity_and_identity_based_deployment()
    {
        Assert.Equal("FlexConsumption", _snapshot.Single("Microsoft.Web/serverfarms").GetProperty("sku").GetProperty("tier").GetString());
        Assert.Equal("SystemAssigned", Site.GetProperty("identity").GetProperty("type").GetString());

        var config = Site.GetProperty("properties").GetProperty("functionAppConfig");
        var storage = config.GetProperty("deployment").GetProperty("storage");
        Assert.Equal("blobContainer", storage.GetProperty("type").GetString());
        Assert.Equal("SystemAssignedIdentity", storage.GetProperty("authentication").GetProperty("type").GetString());

        // Flex Consumption refuses FUNCTIONS_WORKER_RUNTIME as an app setting: the runtime lives here, and it is the
        // custom handler stack (audit fidelity-azure 1.2, 1.3).
        Assert.Equal("custom", config.GetProperty("runtime").GetProperty("name").GetString());
        Assert.Equal("1.0", config.GetProperty("runtime").GetProperty("version").GetString());
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", AppSettings.Keys);
    }

    [Fact]
    public void Https_only_with_tls_1_2_and_no_basic_publishing_credentials()
    {
        var properties = Site.GetProperty("properties");
        Assert.True(properties.GetProperty("httpsOnly").GetBoolean());
        Assert.Equal("1.2", properties.GetProperty("siteConfig").GetProperty("minTlsVersion").GetString());
        Assert.Equal("1.2", properties.GetProperty("siteConfig").GetProperty("scmMinTlsVersion").GetString());
        // Flex Consumption does not support FTPS ("properties.ftpsState: FTPS not supported", flex-consumption-plan
        // deprecations; audit fidelity-azure 1.6): basic publishing credentials are off instead.
        Assert.False(properties.GetProperty("siteConfig").TryGetProperty("ftpsState", out _));

        var policies = _snapshot.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(["ftp", "scm"], policies.Select(DeploymentSnapshot.ShortName).Order(StringComparer.Ordinal));
        Assert.All(policies, p => Assert.False(p.GetProperty("properties").GetProperty("allow").GetBoolean()));
    }

    [Fact]
    public void Entra_id_authentication_guards_the_api_and_lets_through_only_the_event_grid_webhook_and_the_anonymous_routes()
    {
        var auth = _snapshot.OfType("Microsoft.Web/sites/config").Single(c => DeploymentSnapshot.ShortName(c) == "authsettingsV2")
            .GetProperty("properties");

        Assert.True(auth.GetProperty("platform").GetProperty("enabled").GetBoolean());
        var validation = auth.GetProperty("globalValidation");
        Assert.True(validation.GetProperty("requireAuthentication").GetBoolean());
        Assert.Equal("RedirectToLoginPage", validation.GetProperty("unauthenticatedClientAction").GetString());
        Assert.Equal("azureactivedirectory", validation.GetProperty("redirectToProvider").GetString());
        Assert.Equal(
            ["/runtime/webhooks/eventgrid", .. AnonymousApiRoutes.Paths],
            validation.GetProperty("excludedPaths").EnumerateArray().Select(p => p.GetString()));

        var entra = auth.GetProperty("identityProviders").GetProperty("azureActiveDirectory");
        Assert.True(entra.GetProperty("enabled").GetBoolean());
        var clientId = ClusterDeployment.Cluster.ApiClientId;
        Assert.Equal(clientId, entra.GetProperty("registration").GetProperty("clientId").GetString());
        Assert.Contains(DeploymentSnapshot.TenantId, entra.GetProperty("registration").GetProperty("openIdIssuer").GetString(), StringComparison.Ordinal);
        Assert.Contains($"api://{clientId}", entra.GetProperty("validation").GetProperty("allowedAudiences").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public void An_api_only_install_answers_401_instead_of_redirecting_to_sign_in()
    {
        using var folder = new InfraFolder();
        var snapshot = DeploymentSnapshot.Of(folder, ClusterDeployment.Cluster with { UnauthenticatedClientAction = "Return401" });

        var validation = snapshot.OfType("Microsoft.Web/sites/config").Single(c => DeploymentSnapshot.ShortName(c) == "authsettingsV2")
            .GetProperty("properties").GetProperty("globalValidation");
        Assert.True(validation.GetProperty("requireAuthentication").GetBoolean());
        Assert.Equal("Return401", validation.GetProperty("unauthenticatedClientAction").GetString());
    }

    [Fact]
    public void The_app_registration_manifest_defines_exactly_the_roles_the_api_checks()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("infra", "app-roles.json")));
        var roles = manifest.RootElement.EnumerateArray().ToList();

        Assert.Equal(
            new[] { AppSettingNames.OperatorRole, AppSettingNames.ReaderRole }.Order(StringComparer.Ordinal),
            roles.Select(r => r.GetProperty("value").GetString()).Order(StringComparer.Ordinal));
        Assert.All(roles, r =>
        {
            Assert.True(Guid.TryParse(r.GetProperty("id").GetString(), out _));
            Assert.True(r.GetProperty("isEnabled").GetBoolean());
        });
        Assert.Equal(2, roles.Select(r => r.GetProperty("id").GetString()).Distinct().Count());
    }
}
