using Azure.Messaging.ServiceBus;
using GpuAutomation.Contracts.Messaging;

/// <summary>
/// The same work with Azure.Messaging.ServiceBus calls only: one client, a sender, and a processor with the adapter's
/// settings (peek-lock, explicit complete, the same concurrency and prefetch, default lock renewal) that decodes each
/// message with the codec before completing it.
/// </summary>
internal sealed class BareSdk(string connectionString, string queue) : IBenchSide, IAsyncDisposable
{
    private readonly ServiceBusClient _client = new(connectionString);
    private ServiceBusSender? _sender;

    public string Name => "bare";

    public Task PublishAsync(Message message)
    {
        var envelope = message.Envelope;
        var sent = new ServiceBusMessage(new BinaryData(MessageCodec.EncodeForWire(message).Bytes))
        {
            MessageId = envelope.MessageId,
            CorrelationId = envelope.CorrelationId,
            Subject = envelope.MessageType,
            ContentType = MessageCodec.ContentType,
        };
        sent.ApplicationProperties["schema-version"] = envelope.SchemaVersion;
        sent.ApplicationProperties["cluster"] = envelope.Cluster;
        sent.ApplicationProperties["node"] = envelope.Node;
        return (_sender ??= _client.CreateSender(queue)).SendMessageAsync(sent);
    }

    public async Task<IAsyncDisposable> ConsumeAsync(int consumers, int prefetch, Action<Message> onMessage)
    {
        var processor = _client.CreateProcessor(queue, new ServiceBusProcessorOptions
        {
            MaxConcurrentCalls = consumers,
            PrefetchCount = prefetch - consumers,
            AutoCompleteMessages = false,
        });
        processor.ProcessMessageAsync += async args =>
        {
            onMessage(MessageCodec.Decode(args.Message.Body.ToMemory().Span));
            await args.CompleteMessageAsync(args.Message);
        };
        processor.ProcessErrorAsync += _ => Task.CompletedTask;
        await processor.StartProcessingAsync();
        return new Running(processor);
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private sealed class Running(ServiceBusProcessor processor) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await processor.StopProcessingAsync();
            await processor.DisposeAsync();
        }
    }
}
