using System.Diagnostics;
using System.Reflection;

namespace GpuAutomation.Infra.Tests;

/// <summary>The bicep binary from the Azure.Bicep.CommandLine NuGet package, run as a process.</summary>
public static class BicepCli
{
    public static string ExecutablePath { get; } = FindExecutable();

    public static BicepRun Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutablePath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Offline machines: no telemetry, no registry look-ups.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {ExecutablePath}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within 2 minutes.");
        }

        return new BicepRun(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindExecutable()
    {
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == "BicepPath")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The bicep binary is missing ('{path}'): restore tests/GpuAutomation.Infra.Tests, which references Azure.Bicep.CommandLine.linux-x64.");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) == 0)
        {
            throw new InvalidOperationException($"{path} is not executable: the build's MakeBicepExecutable target could not chmod it.");
        }

        return path;
    }
}

public sealed record BicepRun(int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe() => $"exit {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}
