namespace GpuAutomation.Contracts.Messaging;

/// <summary>Stable codes for messages that can't be read; they appear in dead-letter reasons and rejection records.</summary>
public static class MessageFormatErrors
{
    public const string MalformedJson = "malformed-json";
    public const string UnknownMessageType = "unknown-message-type";
    public const string UnsupportedSchemaVersion = "unsupported-schema-version";
    public const string MissingField = "missing-field";
    public const string InvalidField = "invalid-field";
    public const string ValueOutOfRange = "value-out-of-range";
    public const string PayloadTooLarge = "payload-too-large";
}
