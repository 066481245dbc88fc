using System.Text.Json;
using GpuAutomation.Functions.Configuration;
using GpuAutomation.Testing;

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
        ];

        Assert.Equal(expected.Order(StringComparer.Ordinal), AppSettings.Keys.Order(StringComparer.Ordinal));
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
