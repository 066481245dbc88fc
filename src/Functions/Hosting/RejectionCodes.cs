namespace GpuAutomation.Functions.Hosting;

/// <summary>Stable codes for invocation payloads refused before they reach a handler (message bodies use MessageFormatErrors).</summary>
public static class RejectionCodes
{
    public const string MissingBinding = "missing-binding";
    public const string MalformedInvocation = "malformed-invocation";
    public const string MalformedEvent = "malformed-event";
    public const string HandlerFailed = "handler-failed";
}
