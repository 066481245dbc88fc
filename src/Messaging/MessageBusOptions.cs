namespace GpuAutomation.Messaging;

/// <summary>What every broker-backed bus (Service Bus SDK, AMQP 1.0) is tuned with; the AMQP bus adds its own in <see cref="Amqp.AmqpMessageBusOptions"/>.</summary>
public class MessageBusOptions
{
    /// <summary>First wait before reconnecting or re-sending; doubles per attempt up to <see cref="MaxRetryDelay"/>, with ±20 % jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a publish keeps retrying through connection failures before it fails with broker-unavailable.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Service Bus only: how long the SDK's processor keeps renewing a message's lock while its handler runs
    /// (ServiceBusProcessorOptions.MaxAutoLockRenewalDuration; the SDK's default is 5 minutes).
    /// </summary>
    public TimeSpan MaxAutoLockRenewalDuration { get; set; } = TimeSpan.FromMinutes(5);

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The source of retry jitter, injectable so tests are deterministic.</summary>
    public Random Random { get; set; } = Random.Shared;
}
