using System.Collections.Concurrent;
using System.Net.Sockets;
using Amqp;
using Amqp.Sasl;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.Messaging.Amqp;

/// <summary>
/// The process's one AMQP connection and what hangs off it (the senders' session, cached sender links). A failed connection is dropped as a whole and the next caller opens a new one; a lost link or
/// session is replaced on the live connection.
/// </summary>
internal sealed partial class AmqpConnectionScope : IAsyncDisposable
{
    private readonly AmqpConnectionSettings _settings;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _containerId;
    private Live? _live;
    private bool _disposed;

    public AmqpConnectionScope(AmqpConnectionSettings settings, AmqpMessageBusOptions options, ILogger logger)
    {
        this._settings = settings;
        this._logger = logger;
        _containerId = options.ContainerId ?? $"gpuauto-{Environment.MachineName}-{Guid.NewGuid():N}";
    }

    /// <summary>The open connection, opening one if there is none (one attempt; callers own the retrying).</summary>
    public ValueTask<Live> LiveAsync(CancellationToken cancellationToken)
        => _live is { IsOpen: true } current ? new(current) : new(ConnectAsync(cancellationToken));

    private async Task<Live> ConnectAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_live is { IsOpen: true } again)
            {
                return again;
            }

            if (_live is { } stale)
            {
                _live = null;
                await stale.DisposeAsync();
            }

            var opened = await OpenAsync(cancellationToken);
            _live = opened;
            return opened;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Drops <paramref name="failed"/> so the next caller reconnects.</summary>
    public void Invalidate(Live failed)
    {
        if (Interlocked.CompareExchange(ref _live, null, failed) == failed)
        {
            LogDropped(_settings.ToString());
            _ = failed.DisposeAsync().AsTask();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            if (_live is { } current)
            {
                _live = null;
                await current.DisposeAsync();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Live> OpenAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory();
        factory.AMQP.ContainerId = _containerId;
        factory.AMQP.MaxFrameSize = 256 * 1024;
        Address address;
        if (_settings.Authentication == AmqpAuthentication.SaslPlain)
        {
            address = new Address(_settings.Host, _settings.Port, _settings.UserName, _settings.Password, "/", _settings.UseTls ? "AMQPS" : "AMQP");
        }
        else
        {
            factory.SASL.Profile = SaslProfile.Anonymous;
            address = new Address(_settings.Host, _settings.Port, null, null, "/", _settings.UseTls ? "AMQPS" : "AMQP");
        }

        Connection connection;
        try
        {
            connection = await factory.CreateAsync(address).WaitAsync(cancellationToken);
        }
        catch (AmqpException ex) when (ex.Error?.Condition?.ToString() == ErrorCode.UnauthorizedAccess)
        {
            throw new MessagingException(MessagingErrors.Unauthorized, $"{_settings} refused the credentials: {ex.Error.Description}", ex);
        }

        LogConnected(_settings.ToString());
        return new Live(connection);
    }

    /// <summary>Whether an exception means the connection is unusable and a retry on a new one may succeed.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        MessagingException m => m.Code == MessagingErrors.BrokerUnavailable,
        AmqpException a => a.Error?.Condition?.ToString() is not (ErrorCode.UnauthorizedAccess or ErrorCode.NotFound or ErrorCode.MessageSizeExceeded or ErrorCode.NotAllowed or ErrorCode.InvalidField),
        SocketException or IOException or TimeoutException or ObjectDisposedException or OperationCanceledException => true,
        _ => false,
    };

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Connected to {Broker}")]
    private partial void LogConnected(string broker);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Connection to {Broker} dropped; the next use reconnects")]
    private partial void LogDropped(string broker);

    /// <summary>One open connection and its dependents.</summary>
    internal sealed class Live(Connection connection) : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<string, Lazy<Task<SenderLink>>> _senders = new(StringComparer.Ordinal);
        private readonly Lock _sessionGate = new();
        private Session? _senderSession;

        public Connection Connection => connection;

        public bool IsOpen => !connection.IsClosed && connection.Error is null;

        public ValueTask<SenderLink> SenderAsync(string queue, CancellationToken cancellationToken)
            => _senders.TryGetValue(queue, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && lazy.Value.Result is { IsClosed: false } link
                ? new(link)
                : new(AttachedSenderAsync(queue, cancellationToken));

        private async Task<SenderLink> AttachedSenderAsync(string queue, CancellationToken cancellationToken)
        {
            var lazy = _senders.GetOrAdd(queue, static (q, self) => new Lazy<Task<SenderLink>>(() => self.AttachSenderAsync(q)), this);
            try
            {
                var link = await lazy.Value.WaitAsync(cancellationToken);
                if (!link.IsClosed)
                {
                    return link;
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _senders.TryRemove(new KeyValuePair<string, Lazy<Task<SenderLink>>>(queue, lazy));
                throw;
            }

            // The broker detached this link (idle, or the queue was deleted): attach a new one at once on this connection.
            _senders.TryRemove(new KeyValuePair<string, Lazy<Task<SenderLink>>>(queue, lazy));
            var fresh = _senders.GetOrAdd(queue, static (q, self) => new Lazy<Task<SenderLink>>(() => self.AttachSenderAsync(q)), this);
            try
            {
                return await fresh.Value.WaitAsync(cancellationToken);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                _senders.TryRemove(new KeyValuePair<string, Lazy<Task<SenderLink>>>(queue, fresh));
                throw;
            }
        }

        // The senders' session outlives any one link, but a broker may end it (RabbitMQ does on an unsupported
        // outcome): then a new one is begun on the same connection.
        private Session SenderSession()
        {
            lock (_sessionGate)
            {
                if (_senderSession is not { IsClosed: false })
                {
                    _senderSession = new Session(connection);
                }

                return _senderSession;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await connection.CloseAsync(TimeSpan.FromSeconds(5), null);
            }
#pragma warning disable CA1031 // Closing a dead connection fails in many ways; it is gone either way.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        private Task<SenderLink> AttachSenderAsync(string queue)
            => Task.FromResult(new SenderLink(SenderSession(), $"sender-{queue}-{Guid.NewGuid():N}", AmqpTerminus.Sender(queue), null));
    }
}
