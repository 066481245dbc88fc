using System.Globalization;

namespace GpuAutomation.Messaging.Amqp;

/// <summary>
/// Where and how to connect, read from one connection string:
/// <list type="bullet">
/// <item><c>Endpoint=sb://&lt;ns&gt;.servicebus.windows.net/;SharedAccessKeyName=..;SharedAccessKey=..</c> (TLS, SASL PLAIN)</item>
/// <item><c>Endpoint=sb://&lt;ns&gt;.servicebus.windows.net/</c> with a TokenCredential (TLS, CBS put-token of a jwt)</item>
/// <item><c>amqp://user:pass@host:port</c> or <c>amqps://..</c> (RabbitMQ and local runs; no user = SASL ANONYMOUS)</item>
/// </list>
/// <c>UseDevelopmentEmulator=true</c> in the Service Bus form turns TLS off, as the Azure SDK does for the emulator.
/// </summary>
public sealed record AmqpConnectionSettings
{
    public const int AmqpPort = 5672;
    public const int AmqpsPort = 5671;

    public required string Host { get; init; }

    public required int Port { get; init; }

    public required bool UseTls { get; init; }

    public required AmqpAuthentication Authentication { get; init; }

    /// <summary>SAS policy name or broker user (SASL PLAIN only).</summary>
    public string? UserName { get; init; }

    /// <summary>SAS key or broker password (SASL PLAIN only). Never printed: <see cref="ToString"/> leaves it out.</summary>
    public string? Password { get; init; }

    /// <summary>The audience prefix of CBS tokens: <c>amqps://&lt;host&gt;/</c>.</summary>
    public string Audience(string entity) => $"{(UseTls ? "amqps" : "amqp")}://{Host}/{entity}";

    public override string ToString()
        => $"{(UseTls ? "amqps" : "amqp")}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)} ({Authentication}{(UserName is null ? string.Empty : ", user " + UserName)})";

    /// <summary>Reads a connection string; <paramref name="hasCredential"/> says whether a TokenCredential comes with it.</summary>
    /// <exception cref="MessagingException">With <see cref="MessagingErrors.InvalidConnectionString"/> or <see cref="MessagingErrors.CredentialRequired"/>.</exception>
    public static AmqpConnectionSettings Parse(string connectionString, bool hasCredential = false)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw Invalid("The connection string is empty.");
        }

        var text = connectionString.Trim();
        return text.StartsWith("amqp://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("amqps://", StringComparison.OrdinalIgnoreCase)
            ? ParseUrl(text)
            : ParseServiceBus(text, hasCredential);
    }

    private static AmqpConnectionSettings ParseUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid("The amqp:// address is not a valid URL; expected amqp://user:password@host:port.");
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

    private static AmqpConnectionSettings ParseServiceBus(string text, bool hasCredential)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var segment in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = segment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                // Only the part before '=' may be echoed: a malformed segment could be a key.
                throw Invalid("A segment of the connection string is not of the form Name=Value; expected Endpoint=sb://...;SharedAccessKeyName=...;SharedAccessKey=... or amqp://user:password@host:port.");
            }

            var name = segment[..equals].Trim();
            if (!parts.TryAdd(name, segment[(equals + 1)..].Trim()))
            {
                throw Invalid($"The connection string names {name} twice.");
            }
        }

        foreach (var name in parts.Keys)
        {
            if (name is not ("Endpoint" or "SharedAccessKeyName" or "SharedAccessKey" or "UseDevelopmentEmulator"))
            {
                var hint = name.Equals("EntityPath", StringComparison.OrdinalIgnoreCase)
                    ? " Use a namespace-level connection string; queues are named per call."
                    : " Known settings: Endpoint, SharedAccessKeyName, SharedAccessKey, UseDevelopmentEmulator.";
                // Echo the name only when it looks like one: a stray key ends in '=' padding and would parse as a name.
                var shown = name.Length <= 40 && name.All(char.IsAsciiLetter) ? $"setting '{name}'" : "has a segment that";
                throw Invalid($"The connection string {shown} is not a supported Name=Value setting.{hint}");
            }
        }

        if (!parts.TryGetValue("Endpoint", out var endpoint) || endpoint.Length == 0)
        {
            throw Invalid("The connection string has no Endpoint; expected Endpoint=sb://<namespace>.servicebus.windows.net/.");
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || !uri.Scheme.Equals("sb", StringComparison.OrdinalIgnoreCase) || uri.Host.Length == 0)
        {
            throw Invalid($"The Endpoint '{endpoint}' is not an sb:// address; expected sb://<namespace>.servicebus.windows.net/.");
        }

        var emulator = parts.TryGetValue("UseDevelopmentEmulator", out var flag) && bool.TryParse(flag, out var on) && on;
        parts.TryGetValue("SharedAccessKeyName", out var keyName);
        parts.TryGetValue("SharedAccessKey", out var key);
        var hasKeyName = !string.IsNullOrEmpty(keyName);
        var hasKey = !string.IsNullOrEmpty(key);
        if (hasKeyName != hasKey)
        {
            throw Invalid(hasKey
                ? $"The connection string for {uri.Host} has a SharedAccessKey but no SharedAccessKeyName."
                : $"The connection string for {uri.Host} names the policy '{keyName}' but has no SharedAccessKey.");
        }

        if (!hasKey && !hasCredential)
        {
            throw new MessagingException(
                MessagingErrors.CredentialRequired,
                $"The connection string for {uri.Host} has no SharedAccessKey: pass a TokenCredential (e.g. ManagedIdentityCredential) or use a SAS connection string.");
        }

        return new AmqpConnectionSettings
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? (emulator ? AmqpPort : AmqpsPort) : uri.Port,
            UseTls = !emulator,
            Authentication = hasKey ? AmqpAuthentication.SaslPlain : AmqpAuthentication.EntraIdToken,
            UserName = hasKey ? keyName : null,
            Password = hasKey ? key : null,
        };
    }

    private static MessagingException Invalid(string message) => new(MessagingErrors.InvalidConnectionString, message);
}
