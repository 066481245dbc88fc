namespace GpuAutomation.Functions.Api;

/// <summary>Stable codes of the API's problem+json responses (the "code" member). Clients branch on these, not on text.</summary>
public static class ApiErrorCodes
{
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string MalformedJson = "malformed-json";
    public const string UnknownField = "unknown-field";
    public const string MissingField = "missing-field";
    public const string InvalidField = "invalid-field";
    public const string BodyTooLarge = "body-too-large";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string InvalidName = "invalid-name";
    public const string InvalidQuery = "invalid-query";
    public const string MissingHeader = "missing-header";

    /// <summary>The control plane service behind the endpoint is not registered in this deployment.</summary>
    public const string NotConfigured = "not-configured";
}
