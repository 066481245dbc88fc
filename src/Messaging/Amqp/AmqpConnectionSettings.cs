using System.Globalization;

namespace GpuAutomation.Messaging.Amqp;

/// <summary>
/// Where and how to reach a generic AMQP 1.0 broker (RabbitMQ and the like), read from <c>amqp://user:pass@host:port</c>
/// or <c>amqps://…</c>; no user means SASL ANONYMOUS. Azure Service Bus is not reached this way: production goes
/// through the official SDK (<see cref="ServiceBus.ServiceBusMessageBus"/>), and a Service Bus setting given here is
/// refused with <see cref="MessagingErrors.ServiceBusNeedsSdkAdapter"/>.
/// </summary>
public sealed record AmqpConnectionSettings
{
    public const int AmqpPort = 5672;
    public const int AmqpsPort = 5671;

    public required string Host { get; init; }

    public required int Port { get; init; }

    public required bool UseTls { get; init; }

    public required AmqpAuthentication Authentication { get; init; }

    /// <summary>Broker user (SASL PLAIN only).</summary>
    public string? UserName { get; init; }

    /// <summary>Broker password (SASL PLAIN only). Never printed: <see cref="ToString"/> leaves it out.</summary>
    public string? Password { get; init; }

    public override string ToString()
        => $"{(UseTls ? "amqps" : "amqp")}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)} ({Authentication}{(UserName is null ? string.Empty : ", user " + UserName)})";

    /// <summary>Reads an <c>amqp://</c> or <c>amqps://</c> address.</summary>
    /// <exception cref="MessagingException">
    /// <see cref="MessagingErrors.ServiceBusNeedsSdkAdapter"/> for a Service Bus setting, else <see cref="MessagingErrors.InvalidConnectionString"/>.
    /// </exception>
    public static AmqpConnectionSettings Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw Invalid("The connection string is empty.");
        }

        var text = connectionString.Trim();
        if (!text.StartsWith("amqp://", StringComparison.OrdinalIgnoreCase) && !text.StartsWith("amqps://", StringComparison.OrdinalIgnoreCase))
        {
            // Only a fixed text is echoed: anything else could be a connection string with a key in it.
            throw LooksLikeServiceBus(text)
                ? ServiceBusSetting()
                : Invalid("The AMQP adapter takes amqp://user:password@host:port or amqps://…; the setting is neither.");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid("The amqp:// address is not a valid URL; expected amqp://user:password@host:port.");
        }

        if (IsServiceBusHost(uri.Host))
        {
            throw ServiceBusSetting();
        }

        var tls = uri.Scheme.Equals("amqps", StringComparison.OrdinalIgnoreCase);
        string? user = null;
        string? password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw Invalid($"The amqp:// address of {uri.Host} has a user but no password; expected user:password@.");
            }

            user = Uri.UnescapeDataString(uri.UserInfo[..colon]);
            password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }

        return new AmqpConnectionSettings
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? (tls ? AmqpsPort : AmqpPort) : uri.Port,
            UseTls = tls,
            Authentication = user is null ? AmqpAuthentication.Anonymous : AmqpAuthentication.SaslPlain,
            UserName = user,
            Password = password,
        };
    }

    private static bool LooksLikeServiceBus(string text)
        => text.Contains("Endpoint=", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("sb://", StringComparison.OrdinalIgnoreCase)
            || (Uri.CheckHostName(text) == UriHostNameType.Dns && IsServiceBusHost(text));

    // Service Bus namespaces live under servicebus.windows.net and the sovereign clouds' servicebus.* zones
    // (learn.microsoft.com/azure/service-bus-messaging/service-bus-messaging-overview, "namespace"); a label match is
    // enough to catch the mistake and can't refuse a broker that isn't one.
    private static bool IsServiceBusHost(string host)
        => host.Contains(".servicebus.", StringComparison.OrdinalIgnoreCase);

    private static MessagingException ServiceBusSetting() => new(
        MessagingErrors.ServiceBusNeedsSdkAdapter,
        "This is an Azure Service Bus setting, and the AMQP 1.0 adapter is for generic brokers (RabbitMQ) only: "
        + "create the bus with MessageBusFactory.Create (it picks the Service Bus SDK adapter for Endpoint=sb://… and <ns>.servicebus.windows.net).");

    private static MessagingException Invalid(string message) => new(MessagingErrors.InvalidConnectionString, message);
}
