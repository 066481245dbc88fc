using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Amqp;
using Amqp.Framing;
using Amqp.Handler;
using Amqp.Listener;
using Amqp.Sasl;
using Amqp.Types;
using AmqpMessage = Amqp.Message;

namespace GpuAutomation.Messaging.Tests;

/// <summary>
/// An in-process peer shaped like Azure Service Bus, for running the official SDK (Azure.Messaging.ServiceBus) over
/// real AMQP 1.0 on 127.0.0.1: queues with peek-lock, lock expiry, delivery counts, dead-lettering, <c>$cbs</c>
/// (SAS tokens verified against the key) and <c>$management</c> (renew-lock, update-disposition, peek-message),
/// link-level forced detach and idle detach. Queues exist only once created (<see cref="CreateQueue"/>), as a
/// deployment creates them: a link to any other entity is refused with <c>amqp:not-found</c>, as Service Bus does. It tests our use of the SDK, not Service Bus: what it does and does not do is listed in
/// <c>reference/servicebus-amqp.md</c> ("The official SDK …"). Every AMQPNetLite callback only queues work for one
/// actor loop, so the peer's state has a single writer and no AMQPNetLite lock is ever held while waiting on ours.
/// </summary>
public sealed class ServiceBusPeer : IDisposable
{
    /// <summary>Service Bus Standard's limit on a whole message (service-bus-quotas), announced as the links' max-message-size.</summary>
    public const int MaxMessageSize = 256 * 1024;

    public const string KeyName = "peer-policy";

    /// <summary>A SAS policy with only the Send right (Service Bus policies carry Manage, Send and/or Listen).</summary>
    public const string SendOnlyKeyName = "send-only";

    /// <summary>A SAS policy with only the Listen right.</summary>
    public const string ListenOnlyKeyName = "listen-only";

    // reference/servicebus-amqp.md: a send of several messages arrives as one transfer of this format, one data section per message.
    private const uint BatchFormat = 0x80013700;

    private static readonly Symbol SequenceNumber = new("x-opt-sequence-number");
    private static readonly Symbol EnqueuedTime = new("x-opt-enqueued-time");
    private static readonly Symbol LockedUntil = new("x-opt-locked-until");
    private static readonly Symbol DeadLetterSource = new("x-opt-deadletter-source");
    private static readonly Symbol DeadLetterCondition = new("com.microsoft:dead-letter");
    private static readonly Symbol LockLostCondition = new("com.microsoft:message-lock-lost");
    private static readonly Symbol DetachForced = new("amqp:link:detach-forced");

    // AMQPNetLite keeps the link's true credit to itself, and it drops it at once when the client lowers its credit
    // (the SDK does after a receive times out), before our OnFlow runs on the actor. Sending on our own count alone
    // overshoots, and the SDK then detaches the link with transfer-limit-exceeded.
    private static readonly Func<ListenerLink, uint> LinkCredit = typeof(ListenerLink)
        .GetProperty("Credit", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!
        .GetMethod!
        .CreateDelegate<Func<ListenerLink, uint>>();

    private readonly ContainerHost _host;
    private readonly Channel<Action> _work = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _actor;
    private readonly Timer _ticker;
    private readonly Dictionary<string, PeerQueue> _queues = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ReplyEndpoint> _replies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<AmqpMessage, Guid> _tags = new(ReferenceEqualityComparer.Instance);
    // Per connection: the audiences (entity paths) a token was put for, with the rights of that token's policy.
    private readonly ConditionalWeakTable<Connection, Dictionary<string, Rights>> _authorized = [];
    private readonly Dictionary<string, (byte[] Key, Rights Rights)> _policies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _transfers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _created = new(StringComparer.OrdinalIgnoreCase);
    private readonly byte[] _key;
    private readonly bool _anonymousAmqp;
    private long _sequence;
    private int _connections;
    private int _putTokens;
    private int _renewals;
    private int _forcedDetaches;

    /// <param name="anonymousAmqp">
    /// Also take plain AMQP clients (our AMQP 1.0 adapter): SASL ANONYMOUS, and links without a CBS token. For testing
    /// link-level behaviour (forced and idle detach) that adapter shares with Service Bus.
    /// </param>
    public ServiceBusPeer(bool anonymousAmqp = false)
    {
        _anonymousAmqp = anonymousAmqp;
        Port = FreePort();
        _key = RandomNumberGenerator.GetBytes(32);
        _policies[KeyName] = (_key, Rights.Manage | Rights.Send | Rights.Listen);
        _policies[SendOnlyKeyName] = (RandomNumberGenerator.GetBytes(32), Rights.Send);
        _policies[ListenOnlyKeyName] = (RandomNumberGenerator.GetBytes(32), Rights.Listen);
        _host = new ContainerHost(new Address($"amqp://127.0.0.1:{Port}"));
        var listener = _host.Listeners[0];
        // The SDK offers only its own mechanism name and expects Ok, then authorizes every entity through $cbs.
        listener.SASL.EnableMechanism(new Symbol("MSSBCBS"), new CbsSaslProfile());
        listener.SASL.EnableAnonymousMechanism = anonymousAmqp;
        var handler = new PeerHandler(this);
        listener.HandlerFactory = _ => handler;
        _host.RegisterLinkProcessor(new LinkProcessor(this));
        _host.Open();
        _actor = Task.Run(RunAsync);
        _ticker = new Timer(_ => Post(Tick), null, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50));
    }

    public int Port { get; }

    /// <summary>A SAS connection string for this peer; <c>UseDevelopmentEmulator=true</c> makes the SDK use plain AMQP on the port given.</summary>
    public string ConnectionString => $"Endpoint=sb://127.0.0.1:{Port};SharedAccessKeyName={KeyName};SharedAccessKey={Convert.ToBase64String(_key)};UseDevelopmentEmulator=true";

    /// <summary>A connection string of the policy named <paramref name="keyName"/> (<see cref="SendOnlyKeyName"/>, <see cref="ListenOnlyKeyName"/>, <see cref="KeyName"/>).</summary>
    public string ConnectionStringFor(string keyName) => $"Endpoint=sb://127.0.0.1:{Port};SharedAccessKeyName={keyName};SharedAccessKey={Convert.ToBase64String(_policies[keyName].Key)};UseDevelopmentEmulator=true";

    /// <summary>The same endpoint with a wrong key: every put-token is refused.</summary>
    public string ConnectionStringWithWrongKey => $"Endpoint=sb://127.0.0.1:{Port};SharedAccessKeyName={KeyName};SharedAccessKey={Convert.ToBase64String(new byte[32])};UseDevelopmentEmulator=true";

    /// <summary>The queues' lock duration (Service Bus: 1 minute by default, at most 5).</summary>
    public TimeSpan LockDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries after which the peer dead-letters a message itself (the queue's MaxDeliveryCount).</summary>
    public int MaxDeliveryCount { get; set; } = 10;

    /// <summary>Detach (detach-forced) a queue link with no transfer or settlement for this long; Service Bus uses 10 minutes. Null: never.</summary>
    public TimeSpan? LinkIdleTimeout { get; set; }

    public int ConnectionsOpened => Volatile.Read(ref _connections);

    public int PutTokens => Volatile.Read(ref _putTokens);

    public int LockRenewals => Volatile.Read(ref _renewals);

    public int ForcedDetaches => Volatile.Read(ref _forcedDetaches);

    /// <summary>Links attached to each queue so far (senders and receivers), by queue name.</summary>
    public ConcurrentDictionary<string, int> Attaches { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How many times a message id was transferred to a receiver.</summary>
    public int Transfers(string messageId) => _transfers.GetValueOrDefault(messageId);

    /// <summary>Creates a queue (and its dead-letter queue), as infra/ does before any client attaches; creating it again changes nothing.</summary>
    public void CreateQueue(string queue) => _created.TryAdd(Normalize(queue), 0);

    /// <summary>Messages waiting in a queue, not locked.</summary>
    public Task<int> ReadyCountAsync(string queue) => AskAsync(() => Queue(queue).Ready.Count);

    /// <summary>Messages locked by receivers.</summary>
    public Task<int> LockedCountAsync(string queue) => AskAsync(() => Queue(queue).Locked.Count);

    /// <summary>Dead-lettered messages of a queue with their reason and description, oldest first.</summary>
    public Task<IReadOnlyList<(string? MessageId, string? Reason, string? Description, byte[] Body)>> DeadLettersAsync(string queue)
        => AskAsync<IReadOnlyList<(string?, string?, string?, byte[])>>(() => [.. Queue(queue + "/$DeadLetterQueue").Ready.Values.Select(s =>
        {
            var m = s.Decode();
            return (m.Properties?.MessageId, m.ApplicationProperties?.Map["DeadLetterReason"] as string, m.ApplicationProperties?.Map["DeadLetterErrorDescription"] as string, (byte[])m.Body);
        })]);

    /// <summary>Puts a message on a queue as a foreign publisher would (no properties beyond the message id).</summary>
    public Task SendRawAsync(string queue, byte[] body, string messageId)
        => AskAsync(() =>
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(body.Length, MaxMessageSize - 1024, nameof(body));
            Enqueue(queue, new AmqpMessage { Properties = new Properties { MessageId = messageId }, BodySection = new Data { Binary = body } });
            return 0;
        });

    /// <summary>Detaches every link of <paramref name="queue"/> with amqp:link:detach-forced, as Service Bus does to an idle link; the connection stays.</summary>
    public Task DetachLinksAsync(string queue) => AskAsync(() =>
    {
        var q = Queue(queue);
        foreach (var link in q.Links.ToList())
        {
            ForceDetach(q, link, "Forced by the test");
        }

        return 0;
    });

    public void Dispose()
    {
        _ticker.Dispose();
        _work.Writer.TryComplete();
        _host.Close();
        _actor.Wait(TimeSpan.FromSeconds(5));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static byte[] Encode(AmqpMessage message)
    {
        var buffer = message.Encode();
        return buffer.Buffer.AsSpan(buffer.Offset, buffer.Length).ToArray();
    }

    private static string Normalize(string? address) => (address ?? string.Empty).TrimStart('/');

    private void Post(Action action) => _work.Writer.TryWrite(action);

    private Task<T> AskAsync<T>(Func<T> question)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                answer.SetResult(question());
            }
            catch (Exception ex)
            {
                answer.SetException(ex);
            }
        });
        return answer.Task;
    }

    private async Task RunAsync()
    {
        await foreach (var action in _work.Reader.ReadAllAsync())
        {
            try
            {
                action();
            }
            catch (AmqpException)
            {
                // A link or connection that closed under us: the client's next call sees it.
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private PeerQueue Queue(string name)
    {
        var key = Normalize(name);
        if (!_queues.TryGetValue(key, out var queue))
        {
            queue = new PeerQueue(key);
            _queues.Add(key, queue);
        }

        return queue;
    }

    private void Enqueue(string queue, AmqpMessage message)
    {
        // Stored encoded without the service's annotations; each delivery decodes a fresh copy and stamps its own.
        message.MessageAnnotations ??= new MessageAnnotations();
        var sequence = ++_sequence;
        message.MessageAnnotations[SequenceNumber] = sequence;
        message.MessageAnnotations[EnqueuedTime] = DateTime.UtcNow;
        var q = Queue(queue);
        q.Ready.Add(sequence, new Stored(Encode(message), sequence));
        Pump(q);
    }

    private void Pump(PeerQueue queue)
    {
        foreach (var receiver in queue.Receivers.Where(r => r.Credit > 0).ToList())
        {
            while (receiver.Credit > 0 && LinkCredit(receiver.Link) > 0 && queue.Ready.Count > 0)
            {
                var first = queue.Ready.First();
                queue.Ready.Remove(first.Key);
                var stored = first.Value;
                var token = Guid.NewGuid();
                var until = DateTime.UtcNow + LockDuration;
                queue.Locked[token] = new Lock(stored, until);
                var message = stored.Decode();
                message.Header ??= new Header();
                message.Header.DeliveryCount = (uint)stored.DeliveryCount;
                message.MessageAnnotations[LockedUntil] = until;
                if (message.Properties?.MessageId is { } id)
                {
                    _transfers.AddOrUpdate(id, 1, (_, n) => n + 1);
                }

                _tags[message] = token;
                receiver.Credit--;
                receiver.Touch();
                receiver.Link.SendMessage(message);
            }
        }

        foreach (var receiver in queue.Receivers.Where(r => r.Link.IsDraining).ToList())
        {
            receiver.Credit = 0;
            receiver.Link.CompleteDrain();
        }
    }

    private void Tick()
    {
        var now = DateTime.UtcNow;
        foreach (var queue in _queues.Values.ToList())
        {
            var expired = queue.Locked.Where(l => l.Value.Until <= now).ToList();
            foreach (var (token, held) in expired)
            {
                // The lock lapsed: Service Bus counts the delivery and makes the message available again.
                queue.Locked.Remove(token);
                Return(queue, held.Message, countDelivery: true);
            }

            if (LinkIdleTimeout is { } idle)
            {
                foreach (var link in queue.Links.Where(l => now - l.LastActive >= idle).ToList())
                {
                    // Service Bus: "amqp:link:detach-forced … Idle timeout: 00:10:00" (azure-sdk-for-java#25787).
                    ForceDetach(queue, link, $"Idle timeout: {idle:hh\\:mm\\:ss}.");
                }
            }

            Pump(queue);
        }
    }

    private void ForceDetach(PeerQueue queue, QueueEndpoint endpoint, string description)
    {
        queue.Links.Remove(endpoint);
        if (endpoint is ReceiverEndpoint receiver)
        {
            queue.Receivers.Remove(receiver);
        }

        Interlocked.Increment(ref _forcedDetaches);
        endpoint.Link.Close(TimeSpan.Zero, new Error(DetachForced) { Description = description });
    }

    private void Return(PeerQueue queue, Stored stored, bool countDelivery)
    {
        if (countDelivery)
        {
            stored.DeliveryCount++;
        }

        if (stored.DeliveryCount >= MaxDeliveryCount)
        {
            DeadLetter(queue, stored, "MaxDeliveryCountExceeded", $"Message could not be consumed after {MaxDeliveryCount} delivery attempts.");
        }
        else
        {
            queue.Ready.Add(stored.Sequence, stored);
        }
    }

    private void DeadLetter(PeerQueue queue, Stored stored, string? reason, string? description)
    {
        var message = stored.Decode();
        message.ApplicationProperties ??= new ApplicationProperties();
        message.ApplicationProperties.Map["DeadLetterReason"] = reason;
        message.ApplicationProperties.Map["DeadLetterErrorDescription"] = description;
        message.MessageAnnotations[DeadLetterSource] = queue.Name;
        var dead = Queue(queue.Name + "/$DeadLetterQueue");
        dead.Ready.Add(stored.Sequence, new Stored(Encode(message), stored.Sequence) { DeliveryCount = stored.DeliveryCount });
        Pump(dead);
    }

    /// <summary>Applies an outcome to a locked message; false when the lock is gone (expired or settled already).</summary>
    private bool Settle(PeerQueue queue, Guid token, DeliveryState? outcome)
    {
        if (!queue.Locked.Remove(token, out var held) || held.Until <= DateTime.UtcNow)
        {
            if (held is not null)
            {
                Return(queue, held.Message, countDelivery: true);
            }

            return false;
        }

        switch (outcome)
        {
            case Accepted:
                break;
            case Rejected { Error: { } error } when string.Equals(error.Condition, DeadLetterCondition, StringComparison.Ordinal):
                DeadLetter(queue, held.Message, InfoValue(error, "DeadLetterReason"), InfoValue(error, "DeadLetterErrorDescription"));
                break;
            case Released:
                // A late prefetch the SDK hands back (reference/servicebus-amqp.md): available again without a delivery counted.
                Return(queue, held.Message, countDelivery: false);
                break;
            default:
                // Modified (the SDK's abandon) and a plain rejected both abandon; the delivery counts (AMQP guide).
                Return(queue, held.Message, countDelivery: true);
                break;
        }

        Pump(queue);
        return true;
    }

    private static string? InfoValue(Error error, string key)
        => error.Info is { } info && info.TryGetValue(new Symbol(key), out var value) ? value as string : null;

    private void OnQueueDisposition(ReceiverEndpoint receiver, DispositionContext context)
    {
        if (!receiver.Queue.Links.Contains(receiver))
        {
            // AMQPNetLite releases a closed link's unsettled deliveries itself; that is no client's outcome. They stay
            // locked until settled by lock token or until the lock expires.
            return;
        }

        receiver.Touch();
        var tag = context.Message.DeliveryTag;
        var settled = tag is { Length: 16 } && Settle(receiver.Queue, new Guid(tag), context.DeliveryState);
        if (context.Settled)
        {
            return;
        }

        // rcv-settle-mode second: the peer settles with the final outcome, or tells the SDK the lock is gone.
        if (settled)
        {
            context.Complete();
        }
        else
        {
            context.Complete(new Error(LockLostCondition) { Description = "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue." });
        }
    }

    private void OnQueueMessage(QueueEndpoint sender, MessageContext context)
    {
        if (!sender.Queue.Links.Contains(sender))
        {
            // A transfer the client sent before it saw our detach: the service takes nothing on a detached link, and
            // the SDK sends it again on a new one.
            return;
        }

        sender.Touch();
        var message = context.Message;
        var size = message.Encode().Length;
        if (size > MaxMessageSize)
        {
            context.Complete(new Error(new Symbol(ErrorCode.MessageSizeExceeded)) { Description = $"The message of {size} bytes exceeds the limit of {MaxMessageSize} bytes." });
            return;
        }

        if (message.Format == BatchFormat && message.BodySection is DataList batch)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var inner = batch[i].Binary;
                Enqueue(sender.Queue.Name, AmqpMessage.Decode(new ByteBuffer(inner, 0, inner.Length, inner.Length)));
            }
        }
        else if (message.Format == BatchFormat && message.BodySection is Data single)
        {
            Enqueue(sender.Queue.Name, AmqpMessage.Decode(new ByteBuffer(single.Binary, 0, single.Binary.Length, single.Binary.Length)));
        }
        else
        {
            Enqueue(sender.Queue.Name, message);
        }

        context.Complete();
    }

    private void OnRequest(RequestEndpoint node, MessageContext context)
    {
        var request = context.Message;
        context.Complete();
        var operation = request.ApplicationProperties?.Map["operation"] as string;
        AmqpMessage reply;
        if (node.Entity is null)
        {
            reply = PutToken(node.Link.Session.Connection, request);
        }
        else
        {
            // Peek, renew-lock and settling by lock token are receiver operations: they need Listen (service-bus-sas,
            // "Rights required for Service Bus operations"). Whether the $management attach itself is checked is not
            // documented; the peer answers each operation instead.
            var listening = (RightsFor(node.Link.Session.Connection, node.Entity + "/$management") & Rights.Listen) != 0;
            reply = operation switch
            {
                "com.microsoft:renew-lock" or "com.microsoft:update-disposition" or "com.microsoft:peek-message" when !listening
                    => ManagementReply(401, MissingClaim(Rights.Listen, node.Entity).Description, null),
                "com.microsoft:renew-lock" => RenewLock(Queue(node.Entity), request),
                "com.microsoft:update-disposition" => UpdateDisposition(Queue(node.Entity), request),
                "com.microsoft:peek-message" => Peek(Queue(node.Entity), request),
                _ => ManagementReply(501, $"The peer does not implement {operation}.", null),
            };
        }

        reply.Properties ??= new Properties();
        reply.Properties.CorrelationId = request.Properties?.MessageId;
        if (request.Properties?.ReplyTo is { } replyTo && _replies.TryGetValue(replyTo, out var endpoint))
        {
            endpoint.Send(reply);
        }
    }

    private AmqpMessage PutToken(Connection connection, AmqpMessage request)
    {
        Interlocked.Increment(ref _putTokens);
        var type = request.ApplicationProperties?.Map["type"] as string;
        var audience = request.ApplicationProperties?.Map["name"] as string ?? string.Empty;
        var token = request.Body as string ?? string.Empty;
        var rights = type switch
        {
            "servicebus.windows.net:sastoken" => SasRights(token, audience),
            // An Entra ID token can't be verified here, nor its role assignments known: any non-empty one gets every right.
            "jwt" when token.Length > 0 => Rights.Manage | Rights.Send | Rights.Listen,
            _ => null,
        };
        var ok = rights is not null;
        if (rights is { } granted)
        {
            var entities = _authorized.GetOrCreateValue(connection);
            var path = Normalize(new Uri(audience).AbsolutePath);
            entities[path] = entities.GetValueOrDefault(path) | granted;
        }

        var reply = new AmqpMessage { ApplicationProperties = new ApplicationProperties() };
        reply.ApplicationProperties.Map["status-code"] = ok ? 200 : 401;
        reply.ApplicationProperties.Map["status-description"] = ok ? "OK" : "InvalidSignature: The token has an invalid signature.";
        return reply;
    }

    // learn.microsoft.com/azure/service-bus-messaging/service-bus-sas: sig = HMAC-SHA256(key, url-encoded resource + "\n" + expiry).
    // The rights of the token's policy when the signature holds, else null.
    private Rights? SasRights(string token, string audience)
    {
        const string Prefix = "SharedAccessSignature ";
        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var fields = token[Prefix.Length..].Split('&')
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!fields.TryGetValue("sr", out var resource) || !fields.TryGetValue("sig", out var signature)
            || !fields.TryGetValue("se", out var expiry) || !fields.TryGetValue("skn", out var keyName) || !_policies.TryGetValue(keyName, out var policy))
        {
            return null;
        }

        if (!long.TryParse(expiry, CultureInfo.InvariantCulture, out var expires) || DateTimeOffset.FromUnixTimeSeconds(expires) <= DateTimeOffset.UtcNow)
        {
            return null;
        }

        // The SDK signs with the key string's UTF-8 bytes, not its base64 decoding.
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(Convert.ToBase64String(policy.Key)));
        var expected = Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(resource + "\n" + expiry)));
        var audiencePath = Normalize(new Uri(audience).AbsolutePath);
        var resourcePath = Normalize(new Uri(WebUtility.UrlDecode(resource)).AbsolutePath);
        return expected == WebUtility.UrlDecode(signature)
            && (resourcePath.Length == 0 || audiencePath.StartsWith(resourcePath, StringComparison.OrdinalIgnoreCase))
            ? policy.Rights
            : null;
    }

    private AmqpMessage RenewLock(PeerQueue queue, AmqpMessage request)
    {
        Interlocked.Increment(ref _renewals);
        var tokens = LockTokens(request);
        var expirations = new DateTime[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!queue.Locked.TryGetValue(tokens[i], out var held) || held.Until <= DateTime.UtcNow)
            {
                return ManagementReply(410, "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.", null);
            }

            held.Until = DateTime.UtcNow + LockDuration;
            expirations[i] = held.Until;
        }

        var body = new Map { ["expirations"] = expirations };
        return ManagementReply(200, "OK", body);
    }

    private AmqpMessage UpdateDisposition(PeerQueue queue, AmqpMessage request)
    {
        var map = request.Body as Map;
        var status = map?["disposition-status"] as string;
        DeliveryState? outcome = status switch
        {
            "completed" => new Accepted(),
            "abandoned" => new Modified(),
            "suspended" => new Rejected
            {
                Error = new Error(DeadLetterCondition)
                {
                    Info = new Fields
                    {
                        [new Symbol("DeadLetterReason")] = map?["deadletter-reason"],
                        [new Symbol("DeadLetterErrorDescription")] = map?["deadletter-description"],
                    },
                },
            },
            _ => null,
        };
        if (outcome is null)
        {
            return ManagementReply(400, $"The peer does not support disposition-status '{status}'.", null);
        }

        foreach (var token in LockTokens(request))
        {
            if (!Settle(queue, token, outcome))
            {
                return ManagementReply(410, "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.", null);
            }
        }

        return ManagementReply(200, "OK", null);
    }

    /// <summary>
    /// <c>com.microsoft:peek-message</c> as the SDK speaks it (Azure.Messaging.ServiceBus AmqpReceiver.PeekMessagesInternalAsync,
    /// ManagementConstants): request body map <c>from-sequence-number</c> (long) and <c>message-count</c> (int); reply
    /// 200 with <c>messages</c>, a list of maps whose <c>message</c> is the encoded message, or 204 when there is none.
    /// Peek sees locked messages too and changes nothing (no lock, no delivery count).
    /// </summary>
    private static AmqpMessage Peek(PeerQueue queue, AmqpMessage request)
    {
        var map = request.Body as Map;
        if (map?["from-sequence-number"] is not long from || map["message-count"] is not int count || count < 1)
        {
            return ManagementReply(400, "peek-message needs from-sequence-number (long) and message-count (int ≥ 1).", null);
        }

        var found = queue.Ready.Values.Concat(queue.Locked.Values.Select(l => l.Message))
            .Where(m => m.Sequence >= from)
            .OrderBy(m => m.Sequence)
            .Take(count)
            .ToList();
        if (found.Count == 0)
        {
            return ManagementReply(204, "No messages to peek.", null);
        }

        var messages = new List();
        foreach (var stored in found)
        {
            messages.Add(new Map { ["message"] = stored.Encoded });
        }

        return ManagementReply(200, "OK", new Map { ["messages"] = messages });
    }

    private static Guid[] LockTokens(AmqpMessage request)
        => (request.Body as Map)?["lock-tokens"] switch
        {
            Guid[] tokens => tokens,
            object[] items => [.. items.OfType<Guid>()],
            _ => [],
        };

    private static AmqpMessage ManagementReply(int status, string description, Map? body)
    {
        // $management answers with camelCase statusCode (reference/servicebus-amqp.md), unlike $cbs.
        var reply = new AmqpMessage(body) { ApplicationProperties = new ApplicationProperties() };
        reply.ApplicationProperties.Map["statusCode"] = status;
        reply.ApplicationProperties.Map["statusDescription"] = description;
        return reply;
    }

    private void Attach(AttachContext context)
    {
        var attach = context.Attach;
        var clientReceives = attach.Role; // role true = the client is the receiver
        var address = Normalize(clientReceives ? ((Source)attach.Source).Address : ((Target)attach.Target).Address);
        var connection = context.Link.Session.Connection;
        if (address.Equals("$cbs", StringComparison.OrdinalIgnoreCase) || address.EndsWith("/$management", StringComparison.OrdinalIgnoreCase))
        {
            var entity = address.Equals("$cbs", StringComparison.OrdinalIgnoreCase) ? null : address[..^"/$management".Length];
            // The SDK puts a token for the node itself (<entity>/$management); one for the entity covers it too.
            if (entity is not null && RightsFor(connection, address) == Rights.None)
            {
                context.Complete(new Error(new Symbol(ErrorCode.UnauthorizedAccess)) { Description = $"No token was put for {entity} on this connection." });
                return;
            }

            if (entity is not null && !Exists(entity))
            {
                context.Complete(NotFound(entity));
                return;
            }

            if (clientReceives)
            {
                var replyTo = ((Target)attach.Target).Address;
                var reply = new ReplyEndpoint(context.Link);
                _replies[replyTo] = reply;
                context.Complete(reply, 0);
            }
            else
            {
                context.Complete(new RequestEndpoint(this, context.Link, entity), 100);
            }

            return;
        }

        var rights = RightsFor(connection, address);
        if (rights == Rights.None)
        {
            // Service Bus refuses a link to an entity the connection holds no token for (AMQP guide, "Claims-based authorization").
            context.Complete(new Error(new Symbol(ErrorCode.UnauthorizedAccess)) { Description = $"No token was put for {address} on this connection." });
            return;
        }

        // A sender needs Send, a receiver Listen (service-bus-sas, "Rights required for Service Bus operations").
        var needed = clientReceives ? Rights.Listen : Rights.Send;
        if ((rights & needed) == 0)
        {
            context.Complete(MissingClaim(needed, address));
            return;
        }

        if (!Exists(address))
        {
            context.Complete(NotFound(address));
            return;
        }

        var queue = Queue(address);
        Attaches.AddOrUpdate(queue.Name, 1, (_, n) => n + 1);
        if (clientReceives)
        {
            var receiver = new ReceiverEndpoint(this, context.Link, queue);
            queue.Links.Add(receiver);
            queue.Receivers.Add(receiver);
            context.Complete(receiver, 0);
        }
        else
        {
            var sender = new QueueEndpoint(this, context.Link, queue);
            queue.Links.Add(sender);
            context.Complete(sender, 100);
        }
    }

    // A queue's dead-letter queue exists with it (address <queue>/$DeadLetterQueue).
    private bool Exists(string entity)
    {
        const string DeadLetterSuffix = "/$DeadLetterQueue";
        var queue = entity.EndsWith(DeadLetterSuffix, StringComparison.OrdinalIgnoreCase) ? entity[..^DeadLetterSuffix.Length] : entity;
        return _created.ContainsKey(queue);
    }

    // Service Bus refuses a link to an entity that does not exist with amqp:not-found (the SDK's MessagingEntityNotFound).
    private static Error NotFound(string entity)
        => new(new Symbol(ErrorCode.NotFound)) { Description = $"The messaging entity '{entity}' could not be found." };

    // Service Bus detaches a link whose token lacks the right with amqp:unauthorized-access and this text
    // (Azure/azure-service-bus#258 shows the receiver's detach; Azure/azure-sdk-for-net#24289 the same for Listen).
    private Error MissingClaim(Rights needed, string entity)
        => new(new Symbol(ErrorCode.UnauthorizedAccess)) { Description = $"Unauthorized access. '{needed}' claim(s) are required to perform this operation. Resource: 'sb://127.0.0.1:{Port}/{entity}'." };

    // The rights every token put on this connection for the entity (or a path above it) grants together.
    private Rights RightsFor(Connection connection, string entity)
    {
        if (_anonymousAmqp)
        {
            return Rights.Manage | Rights.Send | Rights.Listen;
        }

        var rights = Rights.None;
        if (_authorized.TryGetValue(connection, out var entities))
        {
            foreach (var (path, granted) in entities)
            {
                if (path.Length == 0 || entity.Equals(path, StringComparison.OrdinalIgnoreCase) || entity.StartsWith(path + "/", StringComparison.OrdinalIgnoreCase))
                {
                    rights |= granted;
                }
            }
        }

        return rights;
    }

    private void Detached(QueueEndpoint endpoint)
    {
        endpoint.Queue.Links.Remove(endpoint);
        if (endpoint is ReceiverEndpoint receiver)
        {
            // Its unsettled messages stay locked until their lock expires. No public source says whether Service Bus
            // releases them at detach; keeping them locked is the stricter choice (a client can't rely on a release).
            endpoint.Queue.Receivers.Remove(receiver);
        }
    }

    [Flags]
    private enum Rights
    {
        None = 0,
        Send = 1,
        Listen = 2,
        Manage = 4,
    }

    private sealed class PeerQueue(string name)
    {
        public string Name => name;

        public SortedDictionary<long, Stored> Ready { get; } = [];

        public Dictionary<Guid, Lock> Locked { get; } = [];

        public List<ReceiverEndpoint> Receivers { get; } = [];

        public List<QueueEndpoint> Links { get; } = [];
    }

    private sealed class Stored(byte[] encoded, long sequence)
    {
        public long Sequence => sequence;

        public int DeliveryCount { get; set; }

        public byte[] Encoded => encoded;

        public AmqpMessage Decode() => AmqpMessage.Decode(new ByteBuffer(encoded, 0, encoded.Length, encoded.Length));
    }

    private sealed class Lock(Stored message, DateTime until)
    {
        public Stored Message => message;

        public DateTime Until { get; set; } = until;
    }

    private sealed class LinkProcessor(ServiceBusPeer peer) : ILinkProcessor
    {
        public void Process(AttachContext attachContext) => peer.Post(() => peer.Attach(attachContext));
    }

    private class QueueEndpoint(ServiceBusPeer peer, ListenerLink link, PeerQueue queue) : LinkEndpoint
    {
        public ListenerLink Link => link;

        public PeerQueue Queue => queue;

        public DateTime LastActive { get; private set; } = DateTime.UtcNow;

        protected ServiceBusPeer Peer => peer;

        public void Touch() => LastActive = DateTime.UtcNow;

        public override void OnMessage(MessageContext messageContext) => peer.Post(() => peer.OnQueueMessage(this, messageContext));

        public override void OnFlow(FlowContext flowContext)
        {
        }

        public override void OnDisposition(DispositionContext dispositionContext)
        {
        }

        public override void OnLinkClosed(ListenerLink link, Error error) => peer.Post(() => peer.Detached(this));
    }

    private sealed class ReceiverEndpoint(ServiceBusPeer peer, ListenerLink link, PeerQueue queue) : QueueEndpoint(peer, link, queue)
    {
        public int Credit { get; set; }

        public override void OnFlow(FlowContext flowContext) => Peer.Post(() =>
        {
            // FlowContext carries the change in credit; AMQPNetLite drops the credit to 0 when the change is not positive.
            Credit = flowContext.Messages > 0 ? Credit + flowContext.Messages : 0;
            Peer.Pump(Queue);
        });

        public override void OnDisposition(DispositionContext dispositionContext) => Peer.Post(() => Peer.OnQueueDisposition(this, dispositionContext));
    }

    private sealed class RequestEndpoint(ServiceBusPeer peer, ListenerLink link, string? entity) : LinkEndpoint
    {
        public ListenerLink Link => link;

        /// <summary>The queue of a $management node; null for $cbs.</summary>
        public string? Entity => entity;

        public override void OnMessage(MessageContext messageContext) => peer.Post(() => peer.OnRequest(this, messageContext));

        public override void OnFlow(FlowContext flowContext)
        {
        }

        public override void OnDisposition(DispositionContext dispositionContext)
        {
        }
    }

    private sealed class ReplyEndpoint(ListenerLink link) : LinkEndpoint
    {
        private readonly Queue<AmqpMessage> _pending = new();
        private int _credit;

        // Called on the actor, while OnFlow comes on AMQPNetLite's thread: both under the one lock.
        public void Send(AmqpMessage reply)
        {
            lock (_pending)
            {
                _pending.Enqueue(reply);
                Flush();
            }
        }

        public override void OnFlow(FlowContext flowContext)
        {
            lock (_pending)
            {
                _credit = flowContext.Messages > 0 ? _credit + flowContext.Messages : 0;
                Flush();
            }
        }

        public override void OnDisposition(DispositionContext dispositionContext)
        {
        }

        private void Flush()
        {
            while (_credit > 0 && _pending.Count > 0)
            {
                _credit--;
                link.SendMessage(_pending.Dequeue());
            }
        }
    }

    private sealed class PeerHandler(ServiceBusPeer peer) : IHandler
    {
        public bool CanHandle(EventId id) => id is EventId.SendDelivery or EventId.LinkLocalOpen or EventId.ConnectionRemoteOpen;

        public void Handle(Event protocolEvent)
        {
            switch (protocolEvent.Id)
            {
                case EventId.SendDelivery when protocolEvent.Context is IDelivery delivery && peer._tags.TryRemove(delivery.Message, out var token):
                    // The delivery tag is the lock token, a 16-byte GUID; anything else reads as a peeked message to the SDK.
                    delivery.Tag = token.ToByteArray();
                    break;
                case EventId.LinkLocalOpen when protocolEvent.Context is Attach attach:
                    // Without max-message-size the SDK refuses every send as "larger than -1 bytes".
                    attach.MaxMessageSize = MaxMessageSize;
                    break;
                case EventId.ConnectionRemoteOpen:
                    Interlocked.Increment(ref peer._connections);
                    break;
            }
        }
    }

    private sealed class CbsSaslProfile() : SaslProfile(new Symbol("MSSBCBS"))
    {
        protected override ITransport UpgradeTransport(ITransport transport) => transport;

        protected override DescribedList GetStartCommand(string hostname) => throw new NotSupportedException("The peer only answers.");

        protected override DescribedList OnCommand(DescribedList command)
            => command is SaslInit ? new SaslOutcome { Code = SaslCode.Ok } : throw new AmqpException(ErrorCode.NotAllowed, command.ToString());
    }
}
