using System.Globalization;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Messaging;
using Microsoft.Extensions.Configuration;

namespace GpuAutomation.HostRunner.Configuration;

/// <summary>
/// The agent's settings. From configuration (appsettings.json, environment variables HOSTRUNNER_&lt;Key&gt;, or the
/// command line --key value): Node, Cluster, Bus, ManagedIdentityClientId, ReportAudience, JournalFolder, InventoryInterval,
/// ChangePollInterval, ShutdownTimeout, JobTimeout, StopGracePeriod, PollInterval, Simulate, SimulateState. Times are TimeSpans ("00:05:00")
/// or seconds ("300").
/// </summary>
public sealed record HostRunnerOptions
{
    public string Node { get; init; } = string.Empty;

    public string Cluster { get; init; } = string.Empty;

    /// <summary>
    /// Service Bus with a key (Endpoint=sb://..;SharedAccessKeyName=..;SharedAccessKey=..), Service Bus with the
    /// host's managed identity (Endpoint=sb://.. alone), or amqp://user:pass@host:port for labs and tests.
    /// </summary>
    public string Bus { get; init; } = string.Empty;

    /// <summary>A user-assigned identity's client id; empty uses the system-assigned (Arc) identity.</summary>
    public string? ManagedIdentityClientId { get; init; }

    /// <summary>
    /// The control plane API's application ID URI (e.g. api://&lt;client id&gt;): every report then carries an access
    /// token of this node's managed identity for it, which the control plane checks (issue 16, item 1). Empty sends no
    /// token, for a control plane in development trust (labs, the Sandbox).
    /// </summary>
    public string? ReportAudience { get; init; }

    public string JournalFolder { get; init; } = DefaultJournalFolder;

    /// <summary>A full snapshot is sent at least this often even when nothing changed.</summary>
    public TimeSpan InventoryInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How often the inventory is read to detect changes (snapshot and cluster events when something changed).</summary>
    public TimeSpan ChangePollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a guest gets to shut down before it is turned off.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long stopping waits for the command in progress before leaving it to the next start.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often Hyper-V jobs and VM power states are polled while waiting on them.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Whether assigning a partition first raises the VM's GPU-P settings (GuestControlledCacheTypes on, low MMIO
    /// ≥ 1 GB, high MMIO ≥ 32 GB) — community tools always do; whether server GPU-P needs it is unconfirmed
    /// (fidelity audit row 52). On by default; <c>--ensure-gpu-vm-settings false</c> turns it off.
    /// </summary>
    public bool EnsureGpuVmSettings { get; init; } = true;

    /// <summary>A host description file: run over the CIM emulator instead of this machine's Hyper-V.</summary>
    public string? Simulate { get; init; }

    /// <summary>
    /// With <see cref="Simulate"/>: the file holding the emulated cluster's state, shared by every agent process
    /// simulating a node of it. Defaults to the description file's path plus ".state.json"; delete it to start over.
    /// </summary>
    public string? SimulateState { get; init; }

    public string? EffectiveSimulateState => Simulate is null ? null : SimulateState ?? Simulate + ".state.json";

    public static string DefaultJournalFolder => Path.Combine(
        OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData) : AppContext.BaseDirectory,
        "GpuAutomation",
        "HostRunner");

    /// <summary>Reads the options; every unreadable value is collected and reported together.</summary>
    /// <exception cref="HostRunnerConfigurationException">A value can't be read or the options are invalid.</exception>
    public static HostRunnerOptions From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = new List<string>();
        var defaults = new HostRunnerOptions();
        TimeSpan Time(string key, TimeSpan fallback)
        {
            var text = configuration[key];
            if (string.IsNullOrWhiteSpace(text))
            {
                return fallback;
            }

            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }

            if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            problems.Add($"{key} '{text}' is not a time span: use seconds (300) or hh:mm:ss (00:05:00).");
            return fallback;
        }

        var options = new HostRunnerOptions
        {
            Node = configuration["Node"] ?? string.Empty,
            Cluster = configuration["Cluster"] ?? string.Empty,
            Bus = configuration["Bus"] ?? string.Empty,
            ManagedIdentityClientId = NullIfEmpty(configuration["ManagedIdentityClientId"]),
            ReportAudience = NullIfEmpty(configuration["ReportAudience"]),
            JournalFolder = NullIfEmpty(configuration["JournalFolder"]) ?? defaults.JournalFolder,
            InventoryInterval = Time("InventoryInterval", defaults.InventoryInterval),
            ChangePollInterval = Time("ChangePollInterval", defaults.ChangePollInterval),
            ShutdownTimeout = Time("ShutdownTimeout", defaults.ShutdownTimeout),
            JobTimeout = Time("JobTimeout", defaults.JobTimeout),
            StopGracePeriod = Time("StopGracePeriod", defaults.StopGracePeriod),
            PollInterval = Time("PollInterval", defaults.PollInterval),
            EnsureGpuVmSettings = !bool.TryParse(configuration["EnsureGpuVmSettings"], out var ensure) || ensure,
            Simulate = NullIfEmpty(configuration["Simulate"]),
            SimulateState = NullIfEmpty(configuration["SimulateState"]),
        };
        problems.AddRange(options.Problems());
        return problems.Count == 0 ? options : throw new HostRunnerConfigurationException(problems);
    }

    /// <exception cref="HostRunnerConfigurationException">The options are invalid.</exception>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0)
        {
            throw new HostRunnerConfigurationException(problems);
        }
    }

    /// <summary>Every problem, each naming the setting and the value.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!ResourceNames.IsValidHostName(Node))
        {
            problems.Add(Node.Length == 0
                ? "Node is required: this cluster node's name (--node, HOSTRUNNER_Node)."
                : $"Node '{Node}' is not a valid node name (letters, digits and inner hyphens, at most {ResourceNames.MaxHostNameLength}).");
        }

        if (!ResourceNames.IsValidHostName(Cluster))
        {
            problems.Add(Cluster.Length == 0
                ? "Cluster is required: the failover cluster's name (--cluster, HOSTRUNNER_Cluster)."
                : $"Cluster '{Cluster}' is not a valid cluster name (letters, digits and inner hyphens, at most {ResourceNames.MaxHostNameLength}).");
        }

        if (string.IsNullOrWhiteSpace(Bus))
        {
            problems.Add("Bus is required: a Service Bus connection string (Endpoint=sb://<namespace>.servicebus.windows.net/ with or without SharedAccessKeyName/SharedAccessKey) or amqp://user:password@host:port (--bus, HOSTRUNNER_Bus).");
        }
        else
        {
            try
            {
                MessageBusFactory.Validate(Bus, hasCredential: true);
            }
            catch (MessagingException e)
            {
                problems.Add($"Bus: {e.Message}");
            }
        }

        if (string.IsNullOrWhiteSpace(JournalFolder))
        {
            problems.Add("JournalFolder is required: a local folder for the command journal.");
        }

        void Positive(string name, TimeSpan value, TimeSpan min)
        {
            if (value < min)
            {
                problems.Add($"{name} {value} is too short; it must be at least {min}.");
            }
        }

        Positive(nameof(InventoryInterval), InventoryInterval, TimeSpan.FromSeconds(1));
        Positive(nameof(ChangePollInterval), ChangePollInterval, TimeSpan.FromMilliseconds(100));
        Positive(nameof(ShutdownTimeout), ShutdownTimeout, TimeSpan.FromMilliseconds(10));
        Positive(nameof(JobTimeout), JobTimeout, TimeSpan.FromMilliseconds(10));
        Positive(nameof(PollInterval), PollInterval, TimeSpan.FromMilliseconds(1));
        Positive(nameof(StopGracePeriod), StopGracePeriod, TimeSpan.Zero);
        if (Simulate is not null && !File.Exists(Simulate))
        {
            problems.Add($"Simulate: the host description file '{Simulate}' does not exist.");
        }

        return problems;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
