using System.Collections.Concurrent;
using GpuAutomation.HostRunner.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.EventLog;
using Microsoft.Extensions.Options;

// The Event Log types are marked Windows-only; here they are only registered and configured, never run: the provider
// is swapped for a stand-in before the host creates a logger, and EventLogSettings is read as plain options.
#pragma warning disable CA1416

namespace GpuAutomation.HostRunner.Tests.Diagnostics;

/// <summary>
/// What the agent sends to the Windows Event Log as a service, and under which source and log: the composition of
/// <see cref="HostRunnerEventLog"/>, seen on Linux through a stand-in provider under the Event Log provider's alias
/// ("EventLog", so the same Logging:EventLog rules apply). The write itself only happens on Windows and is not tested.
/// </summary>
public sealed class HostRunnerEventLogTests
{
    [Fact]
    public void As_a_service_the_agents_events_from_information_and_others_from_warning_go_under_its_own_source()
    {
        var (settings, written) = Compose([]);

        Assert.Equal("GpuAutomation HostRunner", settings.SourceName);
        Assert.Equal("Application", settings.LogName);
        Assert.Equal(
            [
                ("GpuAutomation.HostRunner.Agent.HostRunnerAgent", LogLevel.Information, 1001),
                ("GpuAutomation.Messaging.Amqp.AmqpConsumer", LogLevel.Warning, 6012),
                ("Azure.Identity", LogLevel.Warning, 0),
            ],
            written);
    }

    [Fact]
    public void Configuration_names_the_source_and_log_and_raises_the_agents_floor()
    {
        var (settings, written) = Compose(["--Logging:EventLog:SourceName=GPU agent", "--Logging:EventLog:LogName=GpuAutomation", "--Logging:EventLog:LogLevel:GpuAutomation=Warning"]);

        Assert.Equal("GPU agent", settings.SourceName);
        Assert.Equal("GpuAutomation", settings.LogName);
        Assert.DoesNotContain(written, w => w.Level == LogLevel.Information);
        Assert.Contains(("GpuAutomation.Messaging.Amqp.AmqpConsumer", LogLevel.Warning, 6012), written);
    }

    [Fact]
    public void Outside_a_Windows_service_the_event_log_provider_is_taken_out()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        // What Host.CreateApplicationBuilder registers on every Windows process.
        builder.Services.AddSingleton<ILoggerProvider, EventLogLoggerProvider>();

        Assert.False(HostRunnerEventLog.Configure(builder));
        Assert.DoesNotContain(builder.Services, d => d.ImplementationType == typeof(EventLogLoggerProvider));
    }

    private static (EventLogSettings Settings, List<(string Category, LogLevel Level, int Id)> Written) Compose(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
        // UseEventLog registers options, filters and the provider's descriptor; the provider is swapped for the
        // stand-in before anything that only exists on Windows is created.
        HostRunnerEventLog.UseEventLog(builder);
        HostRunnerEventLog.RemoveEventLog(builder);
        var standIn = new EventLogStandIn();
        builder.Logging.AddProvider(standIn);
        using var host = builder.Build();
        var loggers = host.Services.GetRequiredService<ILoggerFactory>();
        loggers.CreateLogger("GpuAutomation.HostRunner.Agent.HostRunnerAgent").LogInformation(new EventId(1001), "ready");
        loggers.CreateLogger("GpuAutomation.HostRunner.HyperV.HyperVJobs").LogDebug(new EventId(1300), "job completed");
        loggers.CreateLogger("GpuAutomation.Messaging.Amqp.AmqpConsumer").LogWarning(new EventId(6012), "receiving failed");
        loggers.CreateLogger("Microsoft.Hosting.Lifetime").LogInformation("Application started");
        loggers.CreateLogger("Azure.Identity").LogWarning("token refresh failed");
        var settings = host.Services.GetRequiredService<IOptions<EventLogSettings>>().Value;
        return (settings, [.. standIn.Written]);
    }

    /// <summary>Records what reaches the Event Log provider; the same alias, so the same configuration rules select it.</summary>
    [ProviderAlias("EventLog")]
    private sealed class EventLogStandIn : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, int Id)> Written { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, Written);

        public void Dispose()
        {
        }

        private sealed class Recorder(string category, ConcurrentQueue<(string, LogLevel, int)> written) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => written.Enqueue((category, logLevel, eventId.Id));
        }
    }
}
