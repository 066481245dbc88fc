namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>A policy document that can't be used; the API answers 400 with code "invalid-policy" and these problems.</summary>
public sealed class PolicyDocumentException : Exception
{
    public const string ErrorCode = "invalid-policy";

    public PolicyDocumentException(IReadOnlyList<string> problems)
        : base(string.Join(" ", problems))
    {
        Problems = problems;
    }

    public PolicyDocumentException()
        : this(["The policy document is not valid."])
    {
    }

    public PolicyDocumentException(string message)
        : this([message])
    {
    }

    public PolicyDocumentException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public string Code => ErrorCode;

    public IReadOnlyList<string> Problems { get; }
}
