using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace GpuAutomation.Functions.Benchmarks;

/// <summary>The packaged handler started as the Functions host starts it: FUNCTIONS_CUSTOMHANDLER_PORT set, output drained.</summary>
internal static class HandlerProcess
{
    /// <param name="settings">App settings beyond the port, as environment variables.</param>
    public static (Process Process, int Port) Start(string executable, string appRoot, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = appRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["Logging__LogLevel__Default"] = "Warning";

        // App Service injects this when authentication is on; without it the handler refuses /api/*.
        start.Environment["WEBSITE_AUTH_ENABLED"] = "True";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, port);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
