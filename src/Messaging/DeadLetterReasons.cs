namespace GpuAutomation.Messaging;

/// <summary>
/// Dead-letter reasons the consumer itself gives. Messages that fail to decode are dead-lettered with the
/// MessageFormatException's code (see GpuAutomation.Contracts.Messaging.MessageFormatErrors) instead.
/// </summary>
public static class DeadLetterReasons
{
    /// <summary>The handler failed or abandoned the message on its last allowed attempt.</summary>
    public const string MaxDeliveryAttemptsExceeded = "max-delivery-attempts-exceeded";
}
