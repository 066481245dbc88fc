using System.Buffers;
using System.Text.Json;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// One node's emulated CIM client whose cluster state lives in a file shared by several processes (one agent
/// process per node with --simulate). Each call takes an exclusive lock on the file, loads the state another
/// process may have changed, runs on the in-process emulator and writes the state back. Calls are short (jobs
/// are polled), so the lock is held briefly — except through an injected Hang or Slow fault, which blocks every
/// process of the cluster as a hung provider would. A call that can't get the lock within its timeout fails as
/// unavailable instead of waiting for ever.
/// Most calls only read, and an inventory makes a hundred of them, so the lock must stay cheap: the state is
/// parsed only when the file's bytes differ from the ones this client last read or wrote, and written only when
/// the call changed them.
/// </summary>
public sealed class SharedStateCimClient : ICimClient
{
    private readonly EmulatedCluster _cluster;
    private readonly ICimClient _inner;
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(10);

    private readonly SemaphoreSlim _local = new(1, 1);
    private readonly TimeSpan _lockTimeout;
    private readonly ArrayBufferWriter<byte> _captured = new();

    /// <summary>The state file's content as this client last read or wrote it: what the emulator holds now.</summary>
    private byte[] _known = [];

    /// <param name="lockTimeout">How long a call waits for another process's lock on the state file (default 30 s).</param>
    public SharedStateCimClient(EmulatedCluster cluster, string node, string stateFile, TimeSpan? lockTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentException.ThrowIfNullOrWhiteSpace(stateFile);
        this._cluster = cluster;
        this._lockTimeout = lockTimeout ?? TimeSpan.FromSeconds(30);
        _inner = cluster.ClientFor(node);
        StateFile = Path.GetFullPath(stateFile);
        Directory.CreateDirectory(Path.GetDirectoryName(StateFile)!);
    }

    public string StateFile { get; }

    public Task<IReadOnlyList<CimInstance>> QueryAsync(string ns, WqlQuery query, CancellationToken cancellationToken)
        => SharedAsync(ct => _inner.QueryAsync(ns, query, ct), cancellationToken);

    public Task<CimInstance> GetInstanceAsync(CimInstancePath path, CancellationToken cancellationToken)
        => SharedAsync(ct => _inner.GetInstanceAsync(path, ct), cancellationToken);

    public Task<IReadOnlyList<CimInstance>> GetAssociatedAsync(CimInstancePath source, string associationClass, string resultClass, CancellationToken cancellationToken)
        => SharedAsync(ct => _inner.GetAssociatedAsync(source, associationClass, resultClass, ct), cancellationToken);

    public Task<IReadOnlyList<CimInstance>> GetReferencesAsync(CimInstancePath target, string associationClass, CancellationToken cancellationToken)
        => SharedAsync(ct => _inner.GetReferencesAsync(target, associationClass, ct), cancellationToken);

    public Task ModifyInstanceAsync(CimInstance instance, CancellationToken cancellationToken)
        => SharedAsync(async ct =>
        {
            await _inner.ModifyInstanceAsync(instance, ct);
            return true;
        }, cancellationToken);

    public Task<CimClassDeclaration> GetClassAsync(string ns, string className, CancellationToken cancellationToken)
        => _inner.GetClassAsync(ns, className, cancellationToken);

    public Task<CimMethodResult> InvokeMethodAsync(CimInstancePath target, string methodName, IReadOnlyDictionary<string, CimValue?> inParameters, CancellationToken cancellationToken)
        => SharedAsync(ct => _inner.InvokeMethodAsync(target, methodName, inParameters, ct), cancellationToken);

    /// <summary>Changes the shared cluster outside the automation (a VM created, moved or removed by an operator), as every process will see it.</summary>
    public Task ChangeAsync(Action<EmulatedCluster> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        return SharedAsync(_ =>
        {
            change(_cluster);
            return Task.FromResult(true);
        }, cancellationToken);
    }

    private async Task<T> SharedAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        await _local.WaitAsync(cancellationToken);
        try
        {
            using var file = await LockAsync(cancellationToken);
            await LoadAsync(file, cancellationToken);
            try
            {
                return await call(cancellationToken);
            }
            finally
            {
                await SaveAsync(file);
            }
        }
        catch (JsonException e)
        {
            // Parse again next time whatever the file then holds.
            _known = [];
            throw new CimException(CimErrors.Unavailable, $"The shared emulator state {StateFile} is unreadable ({e.Message}); delete it to start from the host description again.", null, e);
        }
        finally
        {
            _local.Release();
        }
    }

    /// <summary>Brings the emulator up to the file, unless the file still holds what this client last saw.</summary>
    private async Task LoadAsync(FileStream file, CancellationToken cancellationToken)
    {
        var length = checked((int)file.Length);
        if (length == 0)
        {
            return;
        }

        var content = new byte[length];
        await file.ReadExactlyAsync(content, cancellationToken);
        if (content.AsSpan().SequenceEqual(_known))
        {
            return;
        }

        var state = JsonSerializer.Deserialize(content, SimulationJsonContext.Default.EmulatedWorldState)
            ?? throw new CimException(CimErrors.Unavailable, $"The shared emulator state {StateFile} is empty.");
        _cluster.RestoreState(state);
        _known = content;
    }

    /// <summary>Writes the emulator's state back when the call changed it (a read-only call leaves the file alone).</summary>
    private async Task SaveAsync(FileStream file)
    {
        _captured.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_captured))
        {
            JsonSerializer.Serialize(writer, _cluster.CaptureState(), SimulationJsonContext.Default.EmulatedWorldState);
        }

        if (_captured.WrittenSpan.SequenceEqual(_known))
        {
            return;
        }

        // Forget what the file held first: if the write fails half-way, the next call parses whatever is there.
        _known = [];
        file.SetLength(0);
        file.Position = 0;
        await file.WriteAsync(_captured.WrittenMemory, CancellationToken.None);
        await file.FlushAsync(CancellationToken.None);
        _known = _captured.WrittenSpan.ToArray();
    }

    private async Task<FileStream> LockAsync(CancellationToken cancellationToken)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(2);
        while (true)
        {
            try
            {
                // FileShare.None: an exclusive lock between processes (flock on Unix).
                return new FileStream(StateFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < _lockTimeout)
            {
                await Task.Delay(pause, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
            }
            catch (IOException e)
            {
                throw new CimException(CimErrors.Unavailable, $"The shared emulator state {StateFile} stayed locked by another process for {_lockTimeout.TotalSeconds:0.#} s.", null, e);
            }
        }
    }
}
