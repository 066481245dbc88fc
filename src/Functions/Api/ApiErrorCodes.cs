namespace GpuAutomation.Functions.Api;

/// <summary>Stable codes of the API's problem+json responses (the "code" member). Clients branch on these, not on text.</summary>
public static class ApiErrorCodes
{
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string MalformedJson = "malformed-json";
    public const string UnknownField = "unknown-field";

    /// <summary>An object names a member twice, or in two spellings that differ only in case.</summary>
    public const string DuplicateMember = "duplicate-member";
    public const string MissingField = "missing-field";
    public const string InvalidField = "invalid-field";
    public const string BodyTooLarge = "body-too-large";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string InvalidName = "invalid-name";
    public const string InvalidQuery = "invalid-query";
    public const string MissingHeader = "missing-header";
    public const string InvalidHeader = "invalid-header";

    /// <summary>A concurrent writer kept changing the same record; read again and retry.</summary>
    public const string Conflict = "conflict";

    /// <summary>The node is registered by the deployment's configuration, which the API can't change.</summary>
    public const string NodeConfigured = "node-configured";

    public const string NotFound = "not-found";
    public const string MethodNotAllowed = "method-not-allowed";
    public const string BadRequest = "bad-request";
    public const string InternalError = "internal-error";

    /// <summary>The code of a problem the framework raised without one.</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => Unauthenticated,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => BodyTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        >= 500 => InternalError,
        _ => BadRequest,
    };
}
