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

    private readonly AmqpConnectionSettings settings;
    private readonly TokenCredential credential;
    private readonly AmqpMessageBusOptions options;
    private readonly ILogger logger;
    private readonly Session session;
    private readonly SenderLink sender;
    private readonly ReceiverLink receiver;
    private readonly string replyTo;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly ConcurrentDictionary<string, byte> audiences = new(StringComparer.Ordinal);
    private readonly ITimer renewal;
    private AccessToken? token;
    private bool disposed;

    public CbsAuthorizer(Connection connection, AmqpConnectionSettings settings, TokenCredential credential, AmqpMessageBusOptions options, ILogger logger)
    {
        this.settings = settings;
        this.credential = credential;
        this.options = options;
        this.logger = logger;
        replyTo = "cbs-reply-" + Guid.NewGuid().ToString("N");
        session = new Session(connection);
        sender = new SenderLink(session, "cbs-sender", Node);
        receiver = new ReceiverLink(session, "cbs-receiver", new Attach { Source = new Source { Address = Node }, Target = new Target { Address = replyTo } }, null);
        receiver.SetCredit(10, autoRestore: true);
        renewal = options.TimeProvider.CreateTimer(_ => _ = RenewAllAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Puts a token for <paramref name="entity"/> unless one is already in place on this connection.</summary>
    public async Task AuthorizeAsync(string entity, CancellationToken cancellationToken)
    {
        var audience = settings.Audience(entity);
        if (audiences.ContainsKey(audience))
        {
            return;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await TokenAsync(forceRefresh: false, cancellationToken).ConfigureAwait(false);
            await PutTokenAsync(audience, current, cancellationToken).ConfigureAwait(false);
            audiences.TryAdd(audience, 0);
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        await renewal.DisposeAsync().ConfigureAwait(false);
        try
        {
            await session.CloseAsync(TimeSpan.FromSeconds(5), null).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The connection under it may already be gone; nothing to do about it.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        gate.Dispose();
    }

    private async Task<AccessToken> TokenAsync(bool forceRefresh, CancellationToken cancellationToken)
    {
        var now = options.TimeProvider.GetUtcNow();
        if (!forceRefresh && token is { } cached && cached.ExpiresOn - options.TokenRenewalMargin > now)
        {
            return cached;
        }

        var fresh = await credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken).ConfigureAwait(false);
        token = fresh;
        ScheduleRenewal(fresh.ExpiresOn);
        return fresh;
    }

    private void ScheduleRenewal(DateTimeOffset expiresOn)
    {
        var now = options.TimeProvider.GetUtcNow();
        var due = expiresOn - options.TokenRenewalMargin - now;
        if (due <= TimeSpan.Zero)
        {
            // A token shorter-lived than the margin: renew at half its remaining life.
            due = TimeSpan.FromTicks(Math.Max((expiresOn - now).Ticks / 2, TimeSpan.FromSeconds(1).Ticks));
        }

        renewal.Change(due, Timeout.InfiniteTimeSpan);
    }

    private async Task RenewAllAsync()
    {
        if (disposed)
        {
            return;
        }

        try
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                var fresh = await TokenAsync(forceRefresh: true, CancellationToken.None).ConfigureAwait(false);
                foreach (var audience in audiences.Keys)
                {
                    await PutTokenAsync(audience, fresh, CancellationToken.None).ConfigureAwait(false);
                }

                LogRenewed(audiences.Count, fresh.ExpiresOn);
            }
            finally
            {
                gate.Release();
            }
        }
#pragma warning disable CA1031 // A timer callback must not throw; the failure is logged and retried.
        catch (Exception ex) when (!disposed)
#pragma warning restore CA1031
        {
            LogRenewalFailed(ex, RetryAfterFailure);
            renewal.Change(RetryAfterFailure, Timeout.InfiniteTimeSpan);
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
            Properties = new Properties { MessageId = requestId, ReplyTo = replyTo },
            ApplicationProperties = new ApplicationProperties(),
        };
        request.ApplicationProperties.Map["operation"] = "put-token";
        request.ApplicationProperties.Map["type"] = "jwt";
        request.ApplicationProperties.Map["name"] = audience;
        request.ApplicationProperties.Map["expiration"] = accessToken.ExpiresOn.UtcDateTime;

        await sender.SendAsync(request).WaitAsync(cancellationToken).ConfigureAwait(false);
        var reply = await receiver.ReceiveAsync(ReplyTimeout).WaitAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new MessagingException(MessagingErrors.BrokerUnavailable, $"No reply to the CBS put-token for {audience} within {ReplyTimeout.TotalSeconds} s.");
        receiver.Accept(reply);

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

    [LoggerMessage(Level = LogLevel.Debug, Message = "CBS token put for {Audience}, expires {ExpiresOn}")]
    private partial void LogPut(string audience, DateTimeOffset expiresOn);

    [LoggerMessage(Level = LogLevel.Information, Message = "CBS token renewed for {Count} entities, expires {ExpiresOn}")]
    private partial void LogRenewed(int count, DateTimeOffset expiresOn);

    [LoggerMessage(Level = LogLevel.Error, Message = "CBS token renewal failed; retrying in {RetryIn}")]
    private partial void LogRenewalFailed(Exception exception, TimeSpan retryIn);
}
