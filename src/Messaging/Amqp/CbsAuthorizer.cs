using System.Collections.Concurrent;
using System.Globalization;
using Amqp;
using Amqp.Framing;
using Azure.Core;
using Microsoft.Extensions.Logging;
using AmqpMessage = Amqp.Message;

namespace GpuAutomation.Messaging.Amqp;

/// <summary>
/// Claims-based security on one connection: puts an Entra ID token (type jwt) on <c>$cbs</c> for every entity
/// the connection uses, and puts a fresh one for all of them before the token expires (Service Bus detaches the
/// links of an expired token). Tokens are per connection: a new connection gets a new authorizer.
/// </summary>
internal sealed partial class CbsAuthorizer : IAsyncDisposable
{
    public const string Node = "$cbs";
    public const string Scope = "https://servicebus.azure.net/.default";
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(30);

    private readonly AmqpConnectionSettings _settings;
    private readonly TokenCredential _credential;
    private readonly AmqpMessageBusOptions _options;
    private readonly ILogger _logger;
    private readonly Session _session;
    private readonly SenderLink _sender;
    private readonly ReceiverLink _receiver;
    private readonly string _replyTo;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<string, byte> _audiences = new(StringComparer.Ordinal);
    private readonly ITimer _renewal;
    private AccessToken? _token;
    private bool _disposed;

    public CbsAuthorizer(Connection connection, AmqpConnectionSettings settings, TokenCredential credential, AmqpMessageBusOptions options, ILogger logger)
    {
        this._settings = settings;
        this._credential = credential;
        this._options = options;
        this._logger = logger;
        _replyTo = "cbs-reply-" + Guid.NewGuid().ToString("N");
        _session = new Session(connection);
        _sender = new SenderLink(_session, "cbs-sender", Node);
        _receiver = new ReceiverLink(_session, "cbs-receiver", new Attach { Source = new Source { Address = Node }, Target = new Target { Address = _replyTo } }, null);
        _receiver.SetCredit(10, autoRestore: true);
        _renewal = options.TimeProvider.CreateTimer(_ => _ = RenewAllAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Puts a token for <paramref name="entity"/> unless one is already in place on this connection.</summary>
    public async Task AuthorizeAsync(string entity, CancellationToken cancellationToken)
    {
        var audience = _settings.Audience(entity);
        if (_audiences.ContainsKey(audience))
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var current = await TokenAsync(forceRefresh: false, cancellationToken);
            await PutTokenAsync(audience, current, cancellationToken);
            _audiences.TryAdd(audience, 0);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await _renewal.DisposeAsync();
        try
        {
            await _session.CloseAsync(TimeSpan.FromSeconds(5), null);
        }
#pragma warning disable CA1031 // The connection under it may already be gone; nothing to do about it.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        _gate.Dispose();
    }

    private async Task<AccessToken> TokenAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        var now = _options.TimeProvider.GetUtcNow();
        if (!forceRefresh && _token is { } cached && cached.ExpiresOn - _options.TokenRenewalMargin > now)
        {
            return cached;
        }

        var fresh = await _credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken);
        _token = fresh;
        ScheduleRenewal(fresh.ExpiresOn);
        return fresh;
    }

    private void ScheduleRenewal(DateTimeOffset expiresOn)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var due = expiresOn - _options.TokenRenewalMargin - now;
        if (due <= TimeSpan.Zero)
        {
            // A token shorter-lived than the margin: renew at half its remaining life.
            due = TimeSpan.FromTicks(Math.Max((expiresOn - now).Ticks / 2, TimeSpan.FromSeconds(1).Ticks));
        }

        _renewal.Change(due, Timeout.InfiniteTimeSpan);
    }

    private async Task RenewAllAsync()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            await _gate.WaitAsync();
            try
            {
                var fresh = await TokenAsync(forceRefresh: true, CancellationToken.None);
                foreach (var audience in _audiences.Keys)
                {
                    await PutTokenAsync(audience, fresh, CancellationToken.None);
                }

                LogRenewed(_audiences.Count, fresh.ExpiresOn);
            }
            finally
            {
                _gate.Release();
            }
        }
#pragma warning disable CA1031 // A timer callback must not throw; the failure is logged and retried.
        catch (Exception ex) when (!_disposed)
#pragma warning restore CA1031
        {
            LogRenewalFailed(ex, RetryAfterFailure);
            _renewal.Change(RetryAfterFailure, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task PutTokenAsync(string audience, AccessToken accessToken, CancellationToken cancellationToken)
    {
        var requestId = Guid.NewGuid().ToString("N");
        var request = new AmqpMessage(accessToken.Token)
        {
            Properties = new Properties { MessageId = requestId, ReplyTo = _replyTo },
            ApplicationProperties = new ApplicationProperties(),
        };
        request.ApplicationProperties.Map["operation"] = "put-token";
        request.ApplicationProperties.Map["type"] = "jwt";
        request.ApplicationProperties.Map["name"] = audience;
        request.ApplicationProperties.Map["expiration"] = accessToken.ExpiresOn.UtcDateTime;

        await _sender.SendAsync(request).WaitAsync(cancellationToken);
        var reply = await _receiver.ReceiveAsync(ReplyTimeout).WaitAsync(cancellationToken)
            ?? throw new MessagingException(MessagingErrors.BrokerUnavailable, $"No reply to the CBS put-token for {audience} within {ReplyTimeout.TotalSeconds} s.");
        _receiver.Accept(reply);

        var status = reply.ApplicationProperties?.Map["status-code"] is { } code ? Convert.ToInt32(code, CultureInfo.InvariantCulture) : 0;
        if (status is not (200 or 202))
        {
            var description = reply.ApplicationProperties?.Map["status-description"] as string ?? "no description";
            throw new MessagingException(
                MessagingErrors.Unauthorized,
                $"The CBS put-token for {audience} was refused with status {status.ToString(CultureInfo.InvariantCulture)}: {description}.");
        }

        LogPut(audience, accessToken.ExpiresOn);
    }

    [LoggerMessage(EventId = 6016, Level = LogLevel.Debug, Message = "CBS token put for {Audience}, expires {ExpiresOn}")]
    private partial void LogPut(string audience, DateTimeOffset expiresOn);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Information, Message = "CBS token renewed for {Count} entities, expires {ExpiresOn}")]
    private partial void LogRenewed(int count, DateTimeOffset expiresOn);

    [LoggerMessage(EventId = 6018, Level = LogLevel.Error, Message = "CBS token renewal failed; retrying in {RetryIn}")]
    private partial void LogRenewalFailed(Exception exception, TimeSpan retryIn);
}
