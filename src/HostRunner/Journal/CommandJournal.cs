using System.Text;
using System.Text.Json;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.HostRunner.Journal;

/// <summary>
/// The agent's durable memory of commands: one JSON line per event, each appended and flushed to the disk
/// (fsync) before the call returns, so a command the journal acknowledged survives a crash or power loss.
/// Opening compacts the file (write a temporary file, fsync, rename over the old one durably: see
/// <see cref="DurableReplace"/>) keeping every unfinished
/// command with its steps and the results of the last <see cref="RetainedCommands"/> finished ones for
/// de-duplication. A torn last line (a crash mid-append) is dropped. A lock file keeps a second agent out.
/// </summary>
public sealed partial class CommandJournal : IDisposable
{
    public const string FileName = "commands.journal";
    public const string LockFileName = "commands.journal.lock";

    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly Dictionary<string, JournaledCommand> _commands = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Lock _gate = new();
    private readonly FileStream _lockFile;
    private FileStream _file;
    private long _appendedBytes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private CommandJournal(string folder, FileStream lockFile, TimeProvider time, ILogger logger)
    {
        Folder = folder;
        this._lockFile = lockFile;
        this._time = time;
        this._logger = logger;
        Path = System.IO.Path.Combine(folder, FileName);
        Load();
        Compact();
        _file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.None);
    }

    /// <summary>Finished commands whose results are kept for duplicates; older ones are forgotten at the next compaction.</summary>
    public const int RetainedCommands = 5000;

    /// <summary>Appends since the last compaction after which the journal is compacted again (a long-running agent never restarts to do it).</summary>
    public const long CompactAfterBytes = 16 * 1024 * 1024;

    public string Folder { get; }

    public string Path { get; }

    /// <summary>Opens (creating the folder if needed) and compacts the journal in <paramref name="folder"/>.</summary>
    /// <exception cref="JournalException">journal-in-use when another process holds it; journal-corrupt for an unreadable line before the last.</exception>
    public static CommandJournal Open(string folder, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Directory.CreateDirectory(folder);
        FileStream lockFile;
        try
        {
            // FileShare.None is an exclusive flock on Unix and a share-mode lock on Windows: one agent per folder.
            lockFile = new FileStream(System.IO.Path.Combine(folder, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new JournalException(JournalErrors.InUse, $"The journal folder {folder} is in use by another HostRunner process; each agent needs its own journal folder.", e);
        }

        try
        {
            return new CommandJournal(folder, lockFile, time ?? TimeProvider.System, logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    public JournaledCommand? Find(string commandId)
    {
        lock (_gate)
        {
            return _commands.GetValueOrDefault(commandId);
        }
    }

    /// <summary>Commands received but not finished, oldest first: what a restarted agent resumes.</summary>
    public IReadOnlyList<JournaledCommand> Unfinished()
    {
        lock (_gate)
        {
            return [.. _order.Select(id => _commands[id]).Where(c => !c.IsFinished)];
        }
    }

    /// <summary>Finished commands whose result the broker never accepted, oldest first.</summary>
    public IReadOnlyList<JournaledCommand> Unreported()
    {
        lock (_gate)
        {
            return [.. _order.Select(id => _commands[id]).Where(c => c.IsFinished && !c.Reported)];
        }
    }

    /// <summary>Records a command on receipt; returns the existing record (and writes nothing) when the id is known.</summary>
    /// <param name="traceParent">The W3C context the command arrived in; journaled with it.</param>
    public JournaledCommand Receive(Message message, string? traceParent = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            if (_commands.TryGetValue(message.Envelope.MessageId, out var known))
            {
                return known;
            }

            var entry = new JournalEntry(JournalEntryKind.Received, message.Envelope.MessageId, _time.GetUtcNow(), Encoding.UTF8.GetString(MessageCodec.Encode(message)), TraceParent: traceParent);
            Append(entry);
            var command = new JournaledCommand(message, entry.At) { TraceParent = traceParent };
            _commands.Add(command.CommandId, command);
            _order.Add(command.CommandId);
            return command;
        }
    }

    public void RecordStep(JournaledCommand command, StepRecord step, string? memo)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(step);
        lock (_gate)
        {
            Append(new JournalEntry(JournalEntryKind.Step, command.CommandId, _time.GetUtcNow(), Step: step, Memo: memo));
            command.AddStep(step, memo);
        }
    }

    public void Complete(JournaledCommand command, CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(result);
        lock (_gate)
        {
            Append(new JournalEntry(JournalEntryKind.Completed, command.CommandId, _time.GetUtcNow(), Result: result));
            command.Result = result;
        }
    }

    public void MarkReported(JournaledCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_gate)
        {
            if (command.Reported)
            {
                return;
            }

            Append(new JournalEntry(JournalEntryKind.Reported, command.CommandId, _time.GetUtcNow()));
            command.Reported = true;
            if (_appendedBytes > CompactAfterBytes)
            {
                _file.Dispose();
                Compact();
                _file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.None);
                _appendedBytes = 0;
            }
        }
    }

    public void Dispose()
    {
        _file.Dispose();
        _lockFile.Dispose();
    }

    private void Append(JournalEntry entry)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(entry, JournalJsonContext.Default.JournalEntry);
        try
        {
            // One write of line + newline, then fsync: a crash leaves at most a torn last line, dropped at open.
            var line = new byte[bytes.Length + 1];
            bytes.CopyTo(line, 0);
            line[^1] = NewLine[0];
            _file.Write(line);
            _file.Flush(flushToDisk: true);
            _appendedBytes += line.Length;
        }
        catch (IOException e)
        {
            throw new JournalException(JournalErrors.WriteFailed, $"Writing the {entry.Kind} entry of command {entry.CommandId} to {Path} failed: {e.Message}", e);
        }
    }

    private void Load()
    {
        if (!File.Exists(Path))
        {
            return;
        }

        var lines = File.ReadAllLines(Path, Encoding.UTF8);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            JournalEntry? entry;
            try
            {
                entry = JsonSerializer.Deserialize(lines[i], JournalJsonContext.Default.JournalEntry);
            }
            catch (JsonException e) when (i == lines.Length - 1)
            {
                LogTornLine(Path, i + 1, e.Message);
                continue;
            }
            catch (JsonException e)
            {
                throw new JournalException(JournalErrors.Corrupt, $"Line {i + 1} of {Path} is not a journal entry ({e.Message}); move the file away to start with an empty journal.", e);
            }

            if (entry is not null)
            {
                Apply(entry, i + 1);
            }
        }
    }

    private void Apply(JournalEntry entry, int line)
    {
        if (entry.Kind == JournalEntryKind.Received)
        {
            Message message;
            try
            {
                message = MessageCodec.Decode(Encoding.UTF8.GetBytes(entry.Message ?? string.Empty));
            }
            catch (MessageFormatException e)
            {
                throw new JournalException(JournalErrors.Corrupt, $"Line {line} of {Path} holds an undecodable command {entry.CommandId}: {e.Message}", e);
            }

            if (_commands.TryAdd(entry.CommandId, new JournaledCommand(message, entry.At) { TraceParent = entry.TraceParent }))
            {
                _order.Add(entry.CommandId);
            }

            return;
        }

        if (!_commands.TryGetValue(entry.CommandId, out var command))
        {
            throw new JournalException(JournalErrors.Corrupt, $"Line {line} of {Path} is a {entry.Kind} entry of command {entry.CommandId}, which was never received.");
        }

        switch (entry.Kind)
        {
            case JournalEntryKind.Step when entry.Step is not null:
                command.AddStep(entry.Step, entry.Memo);
                break;
            case JournalEntryKind.Completed when entry.Result is not null:
                command.Result = entry.Result;
                break;
            case JournalEntryKind.Reported:
                command.Reported = true;
                break;
            default:
                throw new JournalException(JournalErrors.Corrupt, $"Line {line} of {Path} is an incomplete {entry.Kind} entry of command {entry.CommandId}.");
        }
    }

    private void Compact()
    {
        var finished = _order.Where(id => _commands[id].IsFinished && _commands[id].Reported).ToList();
        foreach (var id in finished.Take(Math.Max(0, finished.Count - RetainedCommands)))
        {
            _commands.Remove(id);
        }

        _order.RemoveAll(id => !_commands.ContainsKey(id));
        var temporary = Path + ".tmp";
        using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            foreach (var command in _order.Select(id => _commands[id]))
            {
                var message = Encoding.UTF8.GetString(MessageCodec.Encode(command.Message));
                Write(output, new JournalEntry(JournalEntryKind.Received, command.CommandId, command.ReceivedAt, message, TraceParent: command.TraceParent));
                if (command.Result is { } result)
                {
                    // A finished command needs only its result (the steps are in it); a reported one not even its
                    // inventory, which is stale by now and the bulk of the entry.
                    var kept = command.Reported ? result with { InventoryAfter = null } : result;
                    command.Result = kept;
                    Write(output, new JournalEntry(JournalEntryKind.Completed, command.CommandId, result.CompletedAt, Result: kept));
                    if (command.Reported)
                    {
                        Write(output, new JournalEntry(JournalEntryKind.Reported, command.CommandId, result.CompletedAt));
                    }

                    continue;
                }

                foreach (var (step, memo) in command.StepsWithMemos)
                {
                    Write(output, new JournalEntry(JournalEntryKind.Step, command.CommandId, step.EndedAt, Step: step, Memo: memo));
                }
            }

            output.Flush(flushToDisk: true);
        }

        DurableReplace.Replace(temporary, Path);
    }

    private static void Write(Stream output, JournalEntry entry)
    {
        output.Write(JsonSerializer.SerializeToUtf8Bytes(entry, JournalJsonContext.Default.JournalEntry));
        output.Write(NewLine);
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Dropping the torn last line {Line} of journal {Path}: {Problem}")]
    private partial void LogTornLine(string path, int line, string problem);
}
