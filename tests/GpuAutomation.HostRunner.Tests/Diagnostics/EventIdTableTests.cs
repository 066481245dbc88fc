using System.Text.RegularExpressions;

namespace GpuAutomation.HostRunner.Tests.Diagnostics;

/// <summary>
/// The agent's EventIds are stable and documented (issue 20): every [LoggerMessage] of src/HostRunner and src/Messaging
/// (the bus logs in the agent's process too) has an explicit EventId that no other event of the agent uses, that fits
/// the Event Log's 16 bits, and a row in src/HostRunner/EventIds.md with its level; and the table lists no event that
/// no longer exists. Read from the sources, so a new message can't slip past by being in a file nobody registered.
/// </summary>
public sealed partial class EventIdTableTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void Every_logged_event_of_the_agent_has_its_own_id_and_a_row_with_its_level()
    {
        var events = LoggedEvents();
        var rows = TableRows();
        Assert.True(events.Count > 40, $"only {events.Count} [LoggerMessage] found: is the parser still reading the sources?");

        var shared = events.GroupBy(e => e.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => e.Where))}").ToList();
        Assert.True(shared.Count == 0, "EventIds used by more than one event: " + string.Join("; ", shared));

        // EventLog.WriteEntry takes event ids from 0 to UInt16.MaxValue
        // (https://learn.microsoft.com/dotnet/api/system.diagnostics.eventlog.writeentry); 0 is "no id" in logging.
        Assert.All(events, e => Assert.InRange(e.Id, 1, ushort.MaxValue));

        var undocumented = events.Where(e => !rows.TryGetValue(e.Id, out var level) || level != e.Level).Select(e => $"{e.Id} {e.Level} ({e.Where})").ToList();
        Assert.True(undocumented.Count == 0, "No row with this id and level in src/HostRunner/EventIds.md: " + string.Join("; ", undocumented));

        var stale = rows.Keys.Except(events.Select(e => e.Id)).ToList();
        Assert.True(stale.Count == 0, "Rows in src/HostRunner/EventIds.md for events that no longer exist: " + string.Join(", ", stale));
    }

    private sealed record LoggedEvent(int Id, string Level, string Where);

    private static List<LoggedEvent> LoggedEvents()
    {
        var events = new List<LoggedEvent>();
        var problems = new List<string>();
        foreach (var file in new[] { "src/HostRunner", "src/Messaging" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root, d), "*.cs", SearchOption.AllDirectories)))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal) || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            var text = File.ReadAllText(file);
            var where = Path.GetRelativePath(Root, file);
            var attributes = Attribute().Matches(text);
            if (attributes.Count != Regex.Count(text, @"\[LoggerMessage\b"))
            {
                problems.Add($"{where}: a [LoggerMessage] this test can't read");
            }

            foreach (Match attribute in attributes)
            {
                var arguments = attribute.Groups["args"].Value;
                if (EventIdArgument().Match(arguments) is not { Success: true } id || LevelArgument().Match(arguments) is not { Success: true } level)
                {
                    problems.Add($"{where}: [LoggerMessage({arguments})] without an explicit EventId and Level");
                    continue;
                }

                events.Add(new LoggedEvent(int.Parse(id.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), level.Groups[1].Value, where));
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
        return events;
    }

    private static Dictionary<int, string> TableRows()
    {
        var rows = new Dictionary<int, string>();
        foreach (var line in File.ReadLines(Path.Combine(Root, "src", "HostRunner", "EventIds.md")))
        {
            if (Row().Match(line) is { Success: true } row)
            {
                var id = int.Parse(row.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(rows.TryAdd(id, row.Groups[2].Value), $"EventIds.md lists {id} twice");
            }
        }

        return rows;
    }

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

    // The attribute's arguments, across lines, with strings (which may hold parentheses) and nested parentheses.
    [GeneratedRegex(@"\[LoggerMessage\((?<args>(?:[^()""]|""(?:[^""\\]|\\.)*""|\([^()]*\))*)\)\]")]
    private static partial Regex Attribute();

    [GeneratedRegex(@"\bEventId\s*=\s*(\d+)")]
    private static partial Regex EventIdArgument();

    [GeneratedRegex(@"\bLevel\s*=\s*LogLevel\.(\w+)")]
    private static partial Regex LevelArgument();

    [GeneratedRegex(@"^\|\s*(\d+)\s*\|\s*(\w+)\s*\|")]
    private static partial Regex Row();
}
