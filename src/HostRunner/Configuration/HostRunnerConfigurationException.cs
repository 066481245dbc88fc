namespace GpuAutomation.HostRunner.Configuration;

/// <summary>The agent's settings are unusable; the message lists every problem with the setting to fix.</summary>
public sealed class HostRunnerConfigurationException : Exception
{
    public const string InvalidCode = "config.invalid";

    public HostRunnerConfigurationException(IReadOnlyList<string> problems)
        : base("The HostRunner configuration is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
        => Problems = problems;

    public HostRunnerConfigurationException()
        : this(["unknown problem"])
    {
    }

    public HostRunnerConfigurationException(string message)
        : this([message])
    {
    }

    public HostRunnerConfigurationException(string message, Exception innerException)
        : base(message, innerException) => Problems = [message];

    public string Code => InvalidCode;

    public IReadOnlyList<string> Problems { get; }
}
