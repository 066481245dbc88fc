using System.Globalization;

namespace GpuAutomation.Functions.Hosting;

/// <summary>The variables the Functions host sets for a custom handler process; their presence selects the hosting mode.</summary>
public static class CustomHandlerEnvironment
{
    /// <summary>The port the host calls on 127.0.0.1; set only when the host started this process.</summary>
    public const string Port = "FUNCTIONS_CUSTOMHANDLER_PORT";

    public const string WorkerId = "FUNCTIONS_CUSTOMHANDLER_WORKER_ID";

    public const string AppRootPath = "FUNCTIONS_APP_ROOT_PATH";

    public static HostingMode Detect(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return string.IsNullOrWhiteSpace(configuration[Port]) ? HostingMode.Local : HostingMode.FunctionsHost;
    }

    /// <summary>The port from <see cref="Port"/>, refusing a value the host would never send.</summary>
    public static int ReadPort(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[Port];
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new InvalidOperationException($"{Port} is '{value}'; it must be a TCP port number from 1 to 65535.");
    }
}
