namespace GpuAutomation.Messaging.Amqp;

public sealed class AmqpMessageBusOptions
{
    /// <summary>The AMQP container id the broker sees; defaults to the machine name plus a random suffix.</summary>
    public string? ContainerId { get; set; }

    /// <summary>First wait before reconnecting or re-sending; doubles per attempt up to <see cref="MaxRetryDelay"/>, with ±20 % jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a publish keeps retrying through connection failures before it fails with broker-unavailable.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Renew a CBS token this long before it expires (the Azure SDK renews about 10 minutes early).</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromMinutes(10);

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The source of retry jitter, injectable so tests are deterministic.</summary>
    public Random Random { get; set; } = Random.Shared;
}
