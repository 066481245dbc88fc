namespace GpuAutomation.Functions.Configuration;

/// <summary>
/// Names of the Function App settings the control plane reads. infra/ sets exactly these (tests compare them);
/// "__" is the configuration section separator of both the Functions host and ASP.NET Core.
/// </summary>
public static class AppSettingNames
{
    /// <summary>The binding connection prefix of the Service Bus trigger (function.json "connection").</summary>
    public const string ServiceBusConnection = "ServiceBusConnection";

    /// <summary>Identity-based Service Bus connection: the namespace host, e.g. contoso-gpu.servicebus.windows.net.</summary>
    public const string ServiceBusNamespace = "ServiceBusConnection__fullyQualifiedNamespace";

    /// <summary>Identity-based table endpoint of the control plane's stores, e.g. https://acct.table.core.windows.net.</summary>
    public const string TablesServiceUri = "GpuAutomation__Tables__ServiceUri";

    /// <summary>Local runs only: a Table Storage connection string (Azurite). Never set in Azure.</summary>
    public const string TablesConnectionString = "GpuAutomation__Tables__ConnectionString";

    /// <summary>Local runs only: a bus connection string (amqp:// for RabbitMQ, or a Service Bus SAS string for labs).</summary>
    public const string BusConnectionString = "GpuAutomation__Bus__ConnectionString";

    /// <summary>NCRONTAB schedule of the ComplianceScan timer (function.json uses %ComplianceScanSchedule%).</summary>
    public const string ComplianceScanSchedule = "ComplianceScanSchedule";

    /// <summary>NCRONTAB schedule of the OutboxSweep timer (function.json uses %OutboxSweepSchedule%).</summary>
    public const string OutboxSweepSchedule = "OutboxSweepSchedule";

    /// <summary>The Entra tenant whose tokens authenticate host reports (issue 16, item 1).</summary>
    public const string ReportTenantId = "GpuAutomation__ReportAuthentication__TenantId";

    /// <summary>The API's application ID URI the agents request report tokens for (api://&lt;client id&gt;).</summary>
    public const string ReportAudience = "GpuAutomation__ReportAuthentication__Audience";

    /// <summary>The API app's client id, the audience of v2.0 tokens.</summary>
    public const string ReportClientId = "GpuAutomation__ReportAuthentication__ClientId";

    /// <summary>Prefix of the registered nodes: GpuAutomation__NodeList__&lt;i&gt;__{Cluster,Node,PrincipalId}.</summary>
    public const string NodeListPrefix = "GpuAutomation__NodeList__";

    /// <summary>Application Insights' connection string (set by infra/ and read by the Functions host as well).</summary>
    public const string ApplicationInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>
    /// The handler's telemetry section (GpuAutomation__Telemetry__Exporter, __SamplingRatio, __OtlpEndpoint, __SpanFile).
    /// Without an Exporter, Application Insights is used when its connection string is set, else nothing is exported.
    /// </summary>
    public const string Telemetry = "GpuAutomation__Telemetry";

    /// <summary>Reader and operator app roles the API checks in X-MS-CLIENT-PRINCIPAL.</summary>
    public const string ReaderRole = "GpuAutomation.Reader";

    public const string OperatorRole = "GpuAutomation.Operator";
}
