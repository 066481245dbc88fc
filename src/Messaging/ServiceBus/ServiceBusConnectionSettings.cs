namespace GpuAutomation.Messaging.ServiceBus;

/// <summary>
/// A Service Bus connection string checked before the SDK sees it, so a mistake gets a stable code and a message that
/// says which part is wrong without echoing a key: <c>Endpoint=sb://&lt;ns&gt;.servicebus.windows.net/</c> with
/// <c>SharedAccessKeyName</c> + <c>SharedAccessKey</c> (SAS), or without them (Entra ID through a TokenCredential);
/// <c>UseDevelopmentEmulator=true</c> turns TLS off, as the SDK does for the emulator.
/// </summary>
public sealed record ServiceBusConnectionSettings
{
    /// <summary>The namespace host, e.g. <c>contoso.servicebus.windows.net</c>.</summary>
    public required string Host { get; init; }

    /// <summary>Whether the string carries a SAS key; without one the bus needs a TokenCredential.</summary>
    public required bool HasSharedAccessKey { get; init; }

    /// <exception cref="MessagingException">With <see cref="MessagingErrors.InvalidConnectionString"/> or <see cref="MessagingErrors.CredentialRequired"/>.</exception>
    public static ServiceBusConnectionSettings Parse(string connectionString, bool hasCredential)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw Invalid("The connection string is empty.");
        }

        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var segment in connectionString.Trim().Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
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

        return new ServiceBusConnectionSettings { Host = uri.Host, HasSharedAccessKey = hasKey };
    }

    private static MessagingException Invalid(string message) => new(MessagingErrors.InvalidConnectionString, message);
}
