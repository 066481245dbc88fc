using GpuAutomation.Contracts.Reports;
namespace GpuAutomation.HostRunner.Commands;

/// <summary>A step of a command failed; carries what the <see cref="Contracts.Reports.CommandError"/> reports.</summary>
public sealed class CommandStepException : Exception
{
    public CommandStepException(string code, string message, string? step = null, StepKind kind = StepKind.Check, long? hyperVErrorCode = null, string? hyperVErrorDescription = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        Step = step;
        Kind = kind;
        HyperVErrorCode = hyperVErrorCode;
        HyperVErrorDescription = hyperVErrorDescription;
    }

    public CommandStepException()
        : this(CommandErrorCodes.AgentError, "A command step failed.")
    {
    }

    public CommandStepException(string message)
        : this(CommandErrorCodes.AgentError, message)
    {
    }

    public CommandStepException(string message, Exception innerException)
        : this(CommandErrorCodes.AgentError, message, innerException: innerException)
    {
    }

    public string Code { get; }

    public string? Step { get; }

    public StepKind Kind { get; }

    public long? HyperVErrorCode { get; }

    public string? HyperVErrorDescription { get; }

    /// <summary>The same failure attributed to <paramref name="step"/> (a step's own refusal is thrown before it knows its name).</summary>
    internal CommandStepException InStep(string step, StepKind kind)
        => new(Code, Message, Step ?? step, kind, HyperVErrorCode, HyperVErrorDescription, InnerException);
}
