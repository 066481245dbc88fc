using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace GpuAutomation.Smoke.Tests;

/// <summary>
/// The project graph ARCHITECTURE.md draws, read from the .csproj files: Contracts ← Messaging ← ControlPlane ←
/// Functions; HostRunner never references the control plane; the core has no web or Functions types; Telemetry (the
/// only project with the OpenTelemetry SDK and exporters) references none of ours and only the hosts use it. And the
/// house rules no analyzer enforces.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "GpuAutomation.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("GpuAutomation.sln not found above " + AppContext.BaseDirectory);
    }

    private static XDocument Project(string name) => XDocument.Load(Path.Combine(Root, "src", name, $"GpuAutomation.{name}.csproj"));

    private static string[] References(string name)
        => [.. Project(name).Descendants("ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value).Replace("GpuAutomation.", string.Empty, StringComparison.Ordinal)).Order()];

    [Theory]
    [InlineData("Contracts", new string[0])]
    [InlineData("Messaging", new[] { "Contracts" })]
    [InlineData("ControlPlane", new[] { "Contracts", "Messaging" })]
    [InlineData("Telemetry", new string[0])]
    [InlineData("Functions", new[] { "Contracts", "ControlPlane", "Messaging", "Telemetry" })]
    [InlineData("HostRunner", new[] { "Contracts", "Messaging", "Telemetry" })]
    public void Each_project_references_exactly_the_layers_below_it(string project, string[] expected)
        => Assert.Equal(expected, References(project));

    [Fact]
    public void The_control_plane_core_is_a_plain_library_without_web_or_functions_types()
    {
        var project = Project("ControlPlane");
        Assert.Equal("Microsoft.NET.Sdk", project.Root!.Attribute("Sdk")!.Value);
        Assert.DoesNotContain(project.Descendants("FrameworkReference"), f => f.Attribute("Include")!.Value.Contains("AspNetCore", StringComparison.Ordinal));
        var offenders = SourceFiles("src/ControlPlane")
            .Where(f => AspNetOrFunctions().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(Root, f))
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void No_source_uses_ConfigureAwait()
    {
        var needle = "." + nameof(Task.ConfigureAwait) + "(";
        var offenders = SourceFiles("src").Concat(SourceFiles("tests")).Concat(SourceFiles("benchmarks"))
            .Where(f => File.ReadAllText(f).Contains(needle, StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Root, f))
            .ToList();
        Assert.Empty(offenders);
    }

    [Fact]
    public void Every_log_event_has_its_own_stable_EventId()
    {
        // Operators filter on EventIds (Windows Event Log, Application Insights): each [LoggerMessage] names one,
        // and no two events share an id.
        var events = SourceFiles("src")
            .SelectMany(f => LoggerMessage().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetRelativePath(Root, f), Attribute: m.Value)))
            .ToList();
        Assert.NotEmpty(events);
        Assert.Empty(events.Where(e => !e.Attribute.Contains("EventId", StringComparison.Ordinal)).Select(e => e.File).Distinct());
        var ids = events.Select(e => EventId().Match(e.Attribute)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Empty(ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key));
    }

    [GeneratedRegex(@"\[LoggerMessage\([^\]]*\]")]
    private static partial Regex LoggerMessage();

    [GeneratedRegex(@"EventId\s*=\s*(\d+)")]
    private static partial Regex EventId();

    private static IEnumerable<string> SourceFiles(string folder)
        => Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [GeneratedRegex(@"using\s+Microsoft\.AspNetCore|using\s+GpuAutomation\.Functions|\bHttpContext\b|\bIResult\b")]
    private static partial Regex AspNetOrFunctions();
}
