using GpuAutomation.Testing;

namespace GpuAutomation.EndToEnd.Tests.Processes;

/// <summary>The built apps the tests start with <c>dotnet &lt;dll&gt;</c>, from the same configuration as the tests.</summary>
public static class BuiltApps
{
    public static string Configuration { get; } = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string Functions => Dll("Functions", "GpuAutomation.Functions");

    public static string HostRunner => Dll("HostRunner", "GpuAutomation.HostRunner");

    public static string Sandbox => Dll("Sandbox", "GpuAutomation.Sandbox");

    private static string Dll(string folder, string name)
    {
        var path = RepositoryPaths.Combine("src", folder, "bin", Configuration, "net10.0", name + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; build the test project first (it builds src/{folder}).", path);
    }
}
