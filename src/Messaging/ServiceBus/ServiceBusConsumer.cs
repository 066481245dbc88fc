using Azure.Messaging.ServiceBus;
using GpuAutomation.Messaging.Consuming;
using Microsoft.Extensions.Logging;

namespace GpuAutomation.Messaging.ServiceBus;

/// <summary>
/// One queue through a ServiceBusProcessor in peek-lock mode: at most MaxConcurrency handlers, the processor renewing
/// each lock while its handler runs, every delivery settled explicitly as the handler says. The SDK attaches its
/// receivers with rcv-settle-mode second (audit row 3.5), so a settlement on a lost lock fails and is logged here,
/// never dropped silently.
/// </summary>
internal sealed partial class ServiceBusConsumer : IMessageConsumer
{
    private readonly ServiceBusProcessor _processor;
    private readonly DeliveryProcessor _deliveries;
    private readonly ILogger _logger;
    private readonly Action<ServiceBusConsumer> _onStopped;
    private readonly CancellationTokenSource _handlersAborted = new();
    private readonly Lock _gate = new();
    private Task? _stopping;

    public ServiceBusConsumer(
        string queue,
        ServiceBusClient client,
        DeliveryProcessor deliveries,
        ConsumerOptions options,
        MessageBusOptions busOptions,
        ILogger logger,
        Action<ServiceBusConsumer> onStopped)
    {
        Queue = queue;
        _deliveries = deliveries;
        _logger = logger;
        _onStopped = onStopped;
        _processor = client.CreateProcessor(queue, new ServiceBusProcessorOptions
        {
            ReceiveMode = ServiceBusReceiveMode.PeekLock,
            MaxConcurrentCalls = options.MaxConcurrency,
            // Our PrefetchCount counts every message locked ahead of a handler; the SDK's counts those beyond the
            // one each concurrent call receives. A lock runs from the transfer, prefetched or not (audit row 3.14).
            PrefetchCount = options.PrefetchCount - options.MaxConcurrency,
            AutoCompleteMessages = false,
            MaxAutoLockRenewalDuration = busOptions.MaxAutoLockRenewalDuration,
        });
        _processor.ProcessMessageAsync += OnMessageAsync;
        _processor.ProcessErrorAsync += OnErrorAsync;
    }

    public string Queue { get; }

    public Task StartAsync(CancellationToken cancellationToken) => _processor.StartProcessingAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _stopping ??= StopOnceAsync(cancellationToken);
            return _stopping;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _processor.DisposeAsync();
        _handlersAborted.Dispose();
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        // StopProcessingAsync stops receiving and waits for the handlers in flight; a caller giving up cancels them.
        using (cancellationToken.Register(_handlersAborted.Cancel))
        {
            await _processor.StopProcessingAsync(CancellationToken.None);
        }

        _onStopped(this);
        LogStopped(Queue);
    }

    private async Task OnMessageAsync(ProcessMessageEventArgs args)
    {
        var message = args.Message;
        // Read once: the SDK wraps the AMQP map in a new ReadOnlyDictionary on every get (azure-sdk-for-net
        // sdk/servicebus/Azure.Messaging.ServiceBus/src/Primitives/ServiceBusReceivedMessage.cs, ApplicationProperties).
        var properties = message.ApplicationProperties;
        var (traceParent, traceState) = ServiceBusMessageMapper.TraceContext(properties);
        var settlement = await _deliveries.ProcessAsync(
            Body(message),
            ServiceBusMessageMapper.ContentEncoding(properties),
            message.MessageId,
            // The SDK reports header.delivery-count + 1 (AmqpMessageConverter; audit row 3.8): prior failures are one less.
            Math.Max(0, message.DeliveryCount - 1),
            traceParent,
            _handlersAborted.Token,
            ServiceBusMessageMapper.SenderToken(properties),
            traceState);
        try
        {
            // No cancellation token: a settlement started while stopping must still reach the broker.
            switch (settlement.Kind)
            {
                case SettlementKind.Complete:
                    await args.CompleteMessageAsync(message, CancellationToken.None);
                    break;
                case SettlementKind.Abandon:
                    await args.AbandonMessageAsync(message, null, CancellationToken.None);
                    break;
                case SettlementKind.DeadLetter:
                    await args.DeadLetterMessageAsync(message, settlement.Reason!, settlement.Description, CancellationToken.None);
                    break;
            }
        }
        catch (ServiceBusException ex) when (ex.Reason == ServiceBusFailureReason.MessageLockLost)
        {
            LogLockLost(ex, Queue, message.MessageId, settlement.Kind, message.DeliveryCount, message.LockedUntil);
        }
#pragma warning disable CA1031 // The broker redelivers what went unsettled; the processor must keep running.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSettleFailed(ex, Queue, message.MessageId, settlement.Kind);
        }
    }

    private Task OnErrorAsync(ProcessErrorEventArgs args)
    {
        if (args.ErrorSource == ServiceBusErrorSource.RenewLock)
        {
            LogRenewFailed(args.Exception, Queue);
        }
        else
        {
            LogProcessorError(args.Exception, Queue, args.ErrorSource.ToString());
        }

        return Task.CompletedTask;
    }

    private static ReadOnlyMemory<byte>? Body(ServiceBusReceivedMessage message)
    {
        try
        {
            return message.Body.ToMemory();
        }
        catch (NotSupportedException)
        {
            // The SDK refuses a body that is not one data section (amqp-value, sequence): undecodable, dead-lettered.
            return null;
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Error, Message = "The lock on {MessageId} from {Queue} was lost before it could be settled as {Settlement} (delivery {DeliveryCount}, locked until {LockedUntil}); the broker redelivers it and its delivery count rises")]
    private partial void LogLockLost(Exception exception, string queue, string messageId, SettlementKind settlement, int deliveryCount, DateTimeOffset lockedUntil);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Settling {MessageId} from {Queue} as {Settlement} failed; the broker will redeliver it")]
    private partial void LogSettleFailed(Exception exception, string queue, string messageId, SettlementKind settlement);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "Renewing a message lock on {Queue} failed; the handler's settlement may find the lock lost")]
    private partial void LogRenewFailed(Exception exception, string queue);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Service Bus processor of {Queue} reported an error ({Source}); the SDK retries")]
    private partial void LogProcessorError(Exception exception, string queue, string source);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Consumer of {Queue} stopped")]
    private partial void LogStopped(string queue);
}
