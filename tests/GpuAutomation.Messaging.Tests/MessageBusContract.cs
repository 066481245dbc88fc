using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Testing;

namespace GpuAutomation.Messaging.Tests;

/// <summary>What every IMessageBus must do; run against the in-memory bus and against RabbitMQ over AMQP 1.0.</summary>
public abstract class MessageBusContract
{
    protected static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset IssuedAt = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    protected abstract IMessageBus CreateBus();

    /// <summary>Puts bytes on a queue the way a foreign or broken publisher would.</summary>
    protected abstract Task SendRawAsync(string queue, byte[] body, string messageId);

    /// <summary>Waits for <paramref name="messageId"/> to be dead-lettered from <paramref name="queue"/>; returns its reason where the broker keeps it.</summary>
    protected abstract Task<DeadLetter> WaitForDeadLetterAsync(IMessageBus bus, string queue, string messageId);

    /// <summary>RabbitMQ drops the AMQP rejected error (reason and description) when it dead-letters; Service Bus and the in-memory bus keep it.</summary>
    protected abstract bool KeepsDeadLetterReason { get; }

    /// <summary>
    /// Whether a message over <see cref="Message.MaxEncodedBytes"/> can reach a consumer at all. Service Bus refuses it
    /// at send ("includes the size of properties … and payload", service-bus-quotas), so only other brokers are tested with one.
    /// </summary>
    protected virtual bool CarriesOversizedMessages => true;

    /// <summary>A fresh queue name, created on the broker where queues must exist before use (Service Bus).</summary>
    protected string NewQueue()
    {
        var queue = "gpu-test-" + Guid.NewGuid().ToString("N")[..16];
        CreateQueue(queue);
        return queue;
    }

    /// <summary>Creates <paramref name="queue"/> as a deployment would; brokers that create queues on first use need nothing.</summary>
    protected virtual void CreateQueue(string queue)
    {
    }

    protected static Message NewMessage(string id, string? correlationId = "request-1", DateTimeOffset? expiresAt = null)
        => Message.Create(new CollectInventory(), id, "cluster1", "node-a", IssuedAt, correlationId, expiresAt);

    [Fact]
    public async Task A_probe_of_an_existing_queue_is_granted_both_ways_and_takes_nothing()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        await bus.PublishAsync(queue, NewMessage("waiting-" + queue));

        var send = await bus.ProbeAsync(queue, ProbeAccess.Send);
        var receive = await bus.ProbeAsync(queue, ProbeAccess.Receive);

        Assert.Equal((queue, ProbeAccess.Send), (send.Queue, send.Access));
        Assert.Equal((queue, ProbeAccess.Receive), (receive.Queue, receive.Access));
        Assert.Contains(queue, send.Detail, StringComparison.Ordinal);
        Assert.Contains(queue, receive.Detail, StringComparison.Ordinal);

        // Nothing was received, locked or counted: the one message arrives once, as its first delivery.
        var arrived = new TaskCompletionSource<ReceivedMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            arrived.TrySetResult(m);
            return Task.FromResult(Settlement.Complete);
        });
        var message = await arrived.Task.WaitAsync(Wait);
        Assert.Equal(("waiting-" + queue, 1), (message.MessageId, message.DeliveryAttempt));
    }

    [Fact]
    public async Task A_probe_of_a_missing_queue_fails_with_queue_not_found_and_creates_nothing()
    {
        await using var bus = CreateBus();
        var missing = "gpu-test-missing-" + Guid.NewGuid().ToString("N")[..16];

        // Send, receive, then send again: a probe that created the queue would let a later one pass.
        foreach (var access in new[] { ProbeAccess.Send, ProbeAccess.Receive, ProbeAccess.Send })
        {
            var error = await Assert.ThrowsAsync<MessagingException>(() => bus.ProbeAsync(missing, access));
            Assert.Equal(MessagingErrors.QueueNotFound, error.Code);
            Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Messages_arrive_in_publish_order_with_their_envelope()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        var expected = Enumerable.Range(0, 20)
            .Select(i => NewMessage($"order-{i:D2}-{queue}", i % 2 == 0 ? $"request-{i}" : null, i == 3 ? IssuedAt.AddYears(5) : null))
            .ToList();
        foreach (var message in expected)
        {
            await bus.PublishAsync(queue, message);
        }

        var received = new ConcurrentQueue<ReceivedMessage>();
        var all = new TaskCompletionSource();
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            received.Enqueue(m);
            if (received.Count == expected.Count)
            {
                all.TrySetResult();
            }

            return Task.FromResult(Settlement.Complete);
        }, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 5 });

        await WhenAsync(all.Task, () => $"received only {string.Join(", ", received.Select(m => m.MessageId))}");
        Assert.Equal(expected.Select(m => m.Envelope), received.Select(m => m.Message.Envelope));
        Assert.All(received, m => Assert.IsType<CollectInventory>(m.Message.Body));
        Assert.All(received, m => Assert.Equal(1, m.DeliveryAttempt));
        Assert.All(received, m => Assert.Equal(queue, m.Queue));
    }

    [Fact]
    public async Task A_completed_message_is_gone_and_an_abandoned_one_comes_back_with_a_higher_attempt()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        var attempts = new ConcurrentQueue<(string Id, int Attempt)>();
        var done = new TaskCompletionSource();
        await using (var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            attempts.Enqueue((m.MessageId, m.DeliveryAttempt));
            if (m.MessageId.StartsWith("abandon", StringComparison.Ordinal) && m.DeliveryAttempt == 1)
            {
                return Task.FromResult(Settlement.Abandon);
            }

            if (m.MessageId.StartsWith("abandon", StringComparison.Ordinal))
            {
                done.TrySetResult();
            }

            return Task.FromResult(Settlement.Complete);
        }, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 1 }))
        {
            await bus.PublishAsync(queue, NewMessage("complete-" + queue));
            await bus.PublishAsync(queue, NewMessage("abandon-" + queue));
            await done.Task.WaitAsync(Wait);
        }

        Assert.Equal(
            [("complete-" + queue, 1), ("abandon-" + queue, 1), ("abandon-" + queue, 2)],
            attempts.ToArray());

        var again = new TaskCompletionSource<string>();
        await using (await bus.StartConsumerAsync(queue, (m, _) =>
        {
            again.TrySetResult(m.MessageId);
            return Task.FromResult(Settlement.Complete);
        }))
        {
            await bus.PublishAsync(queue, NewMessage("marker-" + queue));
            Assert.Equal("marker-" + queue, await again.Task.WaitAsync(Wait));
        }
    }

    [Fact]
    public async Task A_dead_lettered_message_lands_in_the_dead_letter_queue_with_its_reason()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        var id = "dead-" + queue;
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
            Task.FromResult(Settlement.DeadLetter("gpu-not-found", $"No GPU for {m.MessageId}")));
        await bus.PublishAsync(queue, NewMessage(id));

        var dead = await WaitForDeadLetterAsync(bus, queue, id);
        Assert.Equal(id, dead.MessageId);
        Assert.Equal(id, NewMessageIdOf(dead.Body));
        if (KeepsDeadLetterReason)
        {
            Assert.Equal("gpu-not-found", dead.Reason);
            Assert.Equal($"No GPU for {id}", dead.Description);
        }
    }

    [Fact]
    public async Task A_handler_that_keeps_failing_is_retried_then_dead_lettered_after_max_attempts()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        var id = "poison-" + queue;
        var seen = new ConcurrentQueue<int>();
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            seen.Enqueue(m.DeliveryAttempt);
            throw new InvalidOperationException("handler broke on " + m.MessageId);
        }, new ConsumerOptions { MaxConcurrency = 1, PrefetchCount = 1, MaxDeliveryAttempts = 3 });
        await bus.PublishAsync(queue, NewMessage(id));

        var dead = await WaitForDeadLetterAsync(bus, queue, id);
        Assert.Equal([1, 2, 3], seen.ToArray());
        if (KeepsDeadLetterReason)
        {
            Assert.Equal(DeadLetterReasons.MaxDeliveryAttemptsExceeded, dead.Reason);
            Assert.Contains("handler broke on " + id, dead.Description, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Undecodable_messages_are_dead_lettered_with_their_format_code_and_the_consumer_keeps_running()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        var handled = new ConcurrentQueue<string>();
        var good = new TaskCompletionSource();
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            handled.Enqueue(m.MessageId);
            good.TrySetResult();
            return Task.FromResult(Settlement.Complete);
        });

        var validJson = Encoding.UTF8.GetString(MessageCodec.Encode(NewMessage("x")));
        var bad = new (string Id, byte[] Body, string Code)[]
        {
            ("malformed-" + queue, "{not json"u8.ToArray(), MessageFormatErrors.MalformedJson),
            ("unknown-" + queue, Encoding.UTF8.GetBytes(validJson.Replace("CollectInventory", "FormatDisk", StringComparison.Ordinal)), MessageFormatErrors.UnknownMessageType),
            ("oversized-" + queue, Encoding.UTF8.GetBytes("\"" + new string('a', Message.MaxEncodedBytes + 10) + "\""), MessageFormatErrors.PayloadTooLarge),
        }.Where(b => CarriesOversizedMessages || !b.Id.StartsWith("oversized-", StringComparison.Ordinal)).ToArray();
        foreach (var (id, body, _) in bad)
        {
            await SendRawAsync(queue, body, id);
        }

        await bus.PublishAsync(queue, NewMessage("good-" + queue));
        await good.Task.WaitAsync(Wait);

        foreach (var (id, _, code) in bad)
        {
            var dead = await WaitForDeadLetterAsync(bus, queue, id);
            if (KeepsDeadLetterReason)
            {
                Assert.Equal(code, dead.Reason);
                Assert.False(string.IsNullOrEmpty(dead.Description));
            }
        }

        Assert.Equal(["good-" + queue], handled.ToArray());
    }

    [Fact]
    public async Task No_more_handlers_run_at_once_than_the_concurrency_bound()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        const int count = 12;
        var running = 0;
        var peak = 0;
        var finished = 0;
        var all = new TaskCompletionSource();
        await using var consumer = await bus.StartConsumerAsync(queue, async (_, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await Task.Delay(150, ct);
            Interlocked.Decrement(ref running);
            if (Interlocked.Increment(ref finished) == count)
            {
                all.TrySetResult();
            }

            return Settlement.Complete;
        }, new ConsumerOptions { MaxConcurrency = 3, PrefetchCount = 6 });
        for (var i = 0; i < count; i++)
        {
            await bus.PublishAsync(queue, NewMessage($"c{i}-{queue}"));
        }

        await all.Task.WaitAsync(Wait);
        Assert.InRange(peak, 2, 3);
    }

    [Fact]
    public async Task A_handler_that_blocks_its_thread_does_not_hold_up_the_others()
    {
        // Handlers may work synchronously before their first await (the agent flushes its journal to disk): the
        // consumer must not run them one after another on the path that receives the deliveries.
        await using var bus = CreateBus();
        var queue = NewQueue();
        using var bothStarted = new CountdownEvent(2);
        var overlapped = 0;
        var finished = 0;
        var done = new TaskCompletionSource();
        await using var consumer = await bus.StartConsumerAsync(queue, (_, _) =>
        {
            bothStarted.Signal();
            if (bothStarted.Wait(Wait))
            {
                Interlocked.Increment(ref overlapped);
            }

            if (Interlocked.Increment(ref finished) == 2)
            {
                done.TrySetResult();
            }

            return Task.FromResult(Settlement.Complete);
        }, new ConsumerOptions { MaxConcurrency = 2, PrefetchCount = 2 });
        await bus.PublishAsync(queue, NewMessage("block-1-" + queue));
        await bus.PublishAsync(queue, NewMessage("block-2-" + queue));

        await done.Task.WaitAsync(Wait * 2);
        Assert.Equal(2, overlapped);
    }

    [Fact]
    public async Task Stopping_waits_for_handlers_in_flight_and_settles_them()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        var started = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var consumer = await bus.StartConsumerAsync(queue, async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
            return Settlement.Complete;
        });
        await bus.PublishAsync(queue, NewMessage("slow-" + queue));
        await started.Task.WaitAsync(Wait);

        var stop = consumer.StopAsync();
        await Task.Delay(300);
        Assert.False(stop.IsCompleted, "StopAsync returned while a handler was still running.");
        release.SetResult();
        await stop.WaitAsync(Wait);
        await consumer.DisposeAsync();

        // The drained message was completed: a new consumer sees only what is published next.
        var next = new TaskCompletionSource<string>();
        await using var second = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            next.TrySetResult(m.MessageId);
            return Task.FromResult(Settlement.Complete);
        });
        await bus.PublishAsync(queue, NewMessage("after-" + queue));
        Assert.Equal("after-" + queue, await next.Task.WaitAsync(Wait));
    }

    [Fact]
    public async Task The_inventory_of_a_node_with_1024_vms_travels_in_one_message()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        var sent = LargeMessages.FullNodeInventory("inventory-" + queue);
        var json = MessageCodec.Encode(sent);
        // As plain JSON it could not be sent at all (audit row 3.10: 257 KB for 1,024 VMs).
        Assert.True(json.Length > Message.MaxEncodedBytes, $"The inventory is only {json.Length} bytes of JSON.");

        var received = new TaskCompletionSource<ReceivedMessage>();
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            received.TrySetResult(m);
            return Task.FromResult(Settlement.Complete);
        });
        await bus.PublishAsync(queue, sent);

        var arrived = await received.Task.WaitAsync(Wait);
        Assert.Equal(sent.Envelope, arrived.Message.Envelope);
        Assert.Equal(json, MessageCodec.Encode(arrived.Message));
    }

    [Fact]
    public async Task A_reports_sender_token_travels_beside_the_body_and_only_there()
    {
        await using var bus = CreateBus();
        var queue = NewQueue();
        const string token = "eyJhbGciOiJSUzI1NiJ9.sender-token-of-node-a.signature";
        var sent = NewMessage("token-" + queue) with { SenderToken = token };
        var plain = NewMessage("plain-" + queue);
        await bus.PublishAsync(queue, sent);
        await bus.PublishAsync(queue, plain);

        var received = new ConcurrentQueue<ReceivedMessage>();
        var both = new TaskCompletionSource();
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            received.Enqueue(m);
            if (received.Count == 2)
            {
                both.TrySetResult();
            }

            return Task.FromResult(Settlement.Complete);
        }, new ConsumerOptions { MaxConcurrency = 1 });

        await WhenAsync(both.Task, () => $"received only {string.Join(", ", received.Select(m => m.MessageId))}");
        Assert.Equal(token, received.Single(m => m.MessageId == sent.Envelope.MessageId).Message.SenderToken);
        Assert.Null(received.Single(m => m.MessageId == plain.Envelope.MessageId).Message.SenderToken);

        // An application property: the JSON body (what a dead-letter or a rejected-message excerpt shows) never holds it.
        Assert.DoesNotContain("sender-token-of-node-a", Encoding.UTF8.GetString(MessageCodec.Encode(sent)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_consumer_continues_the_publishers_trace_from_the_message_properties()
    {
        using var spans = new SpanRecorder();
        await using var bus = CreateBus();
        var queue = NewQueue();
        var message = NewMessage("trace-" + queue, correlationId: "request-trace");
        ActivityContext sentFrom;
        using (var root = SpanRecorder.StartRoot("test publishes"))
        {
            sentFrom = root.Context;
            await bus.PublishAsync(queue, message);
        }

        var inHandler = new TaskCompletionSource<(ActivityTraceId TraceId, ActivitySpanId ParentId, string? TraceParent)>();
        await using var consumer = await bus.StartConsumerAsync(queue, (m, _) =>
        {
            // What the handler does is traced inside the consumer span, which is the producer span's child.
            var current = Activity.Current;
            inHandler.TrySetResult((current?.TraceId ?? default, current?.ParentSpanId ?? default, m.TraceParent));
            return Task.FromResult(Settlement.Complete);
        });

        await WhenAsync(inHandler.Task, () => "the message was not delivered");
        var (traceId, parentId, traceParent) = await inHandler.Task;
        Assert.Equal(sentFrom.TraceId, traceId);
        var trace = spans.OfTrace(sentFrom.TraceId);
        var producer = Assert.Single(trace, a => a.Kind == ActivityKind.Producer);
        Assert.Equal(sentFrom.SpanId, producer.ParentSpanId);
        Assert.Equal(producer.SpanId, parentId);
        Assert.Equal(producer.Id, traceParent);
        Assert.Equal("request-trace", producer.GetTagItem("gpu.request.id"));
        Assert.Equal(message.Envelope.MessageId, producer.GetTagItem("messaging.message.id"));
    }

    /// <summary>Waits for <paramref name="task"/>, failing with what was seen so far instead of a bare timeout.</summary>
    protected static async Task WhenAsync(Task task, Func<string> seen)
    {
        try
        {
            await task.WaitAsync(Wait);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Not done within {Wait}: {seen()}");
        }
    }

    private static string? NewMessageIdOf(ReadOnlyMemory<byte> body) => MessageCodec.Decode(body.Span).Envelope.MessageId;

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    public sealed record DeadLetter(string? MessageId, ReadOnlyMemory<byte> Body, string? Reason, string? Description);
}
