using System.Runtime.Versioning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.WindowsServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.EventLog;

namespace GpuAutomation.HostRunner.Diagnostics;

/// <summary>
/// The Windows Event Log, written only when the agent runs as a Windows service: the agent's own events (categories
/// GpuAutomation.*, EventIds in src/HostRunner/EventIds.md) from Information up, everything else from Warning up, under
/// the source "GpuAutomation HostRunner" in the Application log. All of it is configuration (Logging:EventLog:SourceName,
/// :LogName, :LogLevel:&lt;category&gt;; HOSTRUNNER_Logging__EventLog__… in the environment), with these as defaults.
/// </summary>
/// <remarks>
/// What the platform does, from its sources (dotnet/runtime): Host.CreateApplicationBuilder adds the EventLog provider
/// to every process on Windows with a Warning floor (Microsoft.Extensions.Hosting HostingHostBuilderExtensions,
/// "Default the EventLogLoggerProvider to warning or above"), and AddWindowsService adds it again as a service with the
/// application name as source (Microsoft.Extensions.Hosting.WindowsServices, AddWindowsServiceLifetime and
/// EventLogSettingsSetup; documented for UseWindowsService: "enables logging to the event log with the application name
/// as the default source name", https://learn.microsoft.com/dotnet/api/microsoft.extensions.hosting.windowsservicelifetimehostbuilderextensions.usewindowsservice).
/// Without a source name the provider writes as ".NET Runtime"
/// (https://learn.microsoft.com/dotnet/api/microsoft.extensions.logging.eventlog.eventlogsettings.sourcename). The provider writes each message with the log call's EventId as the event's id, Information
/// for Trace/Debug/Information, Warning, and Error for Error/Critical, and splits a message longer than 31,839
/// characters into several entries (Microsoft.Extensions.Logging.EventLog EventLogLogger and WindowsEventLog). Writing
/// creates the source in the named log if it doesn't exist, which needs administrator rights; without them the
/// provider disables itself after one "Unable to log .NET application events" error in the Application log
/// (WindowsEventLog.WriteEntry). None of this runs on Linux: the tests check the configuration this class composes,
/// not a write to the Event Log.
/// </remarks>
public static class HostRunnerEventLog
{
    public const string DefaultSourceName = "GpuAutomation HostRunner";
    public const string DefaultLogName = "Application";

    /// <summary>The category prefix of every logger of the product (namespaces GpuAutomation.HostRunner, .Messaging).</summary>
    public const string ProductCategory = "GpuAutomation";

    private const string Section = "Logging:EventLog";

    /// <summary>Writes to the Event Log when this process is a Windows service, and never otherwise.</summary>
    /// <returns>Whether the Event Log is written.</returns>
    public static bool Configure(HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (OperatingSystem.IsWindows() && WindowsServiceHelpers.IsWindowsService())
        {
            UseEventLog(builder);
            return true;
        }

        // A console run on Windows (a trial run, --simulate) would otherwise put its warnings under ".NET Runtime".
        RemoveEventLog(builder);
        return false;
    }

    /// <summary>Takes the Event Log provider out (the host adds it to every Windows process).</summary>
    internal static void RemoveEventLog(HostApplicationBuilder builder)
    {
        foreach (var provider in builder.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(EventLogLoggerProvider)).ToList())
        {
            builder.Services.Remove(provider);
        }
    }

    /// <summary>
    /// The service's Event Log: source, log and levels from configuration with the defaults above. Internal for the
    /// tests, which look at what it registers (options and filters) on Linux without writing anything.
    /// </summary>
    [SupportedOSPlatform("windows")]
    internal static void UseEventLog(HostApplicationBuilder builder)
    {
        // Defaults as the first configuration source, so appsettings.json, HOSTRUNNER_… variables and the command line
        // override each one. The Default entry states the host's own Windows floor (Warning) as configuration too.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                [$"{Section}:SourceName"] = DefaultSourceName,
                [$"{Section}:LogName"] = DefaultLogName,
                [$"{Section}:LogLevel:Default"] = nameof(LogLevel.Warning),
                [$"{Section}:LogLevel:{ProductCategory}"] = nameof(LogLevel.Information),
            },
        });
        builder.Services.Configure<EventLogSettings>(settings =>
        {
            settings.SourceName = builder.Configuration[$"{Section}:SourceName"] is { Length: > 0 } source ? source : DefaultSourceName;
            settings.LogName = builder.Configuration[$"{Section}:LogName"] is { Length: > 0 } log ? log : DefaultLogName;
        });
        builder.Logging.AddEventLog();
    }
}
