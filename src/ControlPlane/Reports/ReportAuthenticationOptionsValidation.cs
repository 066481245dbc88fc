using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Reports;

/// <summary>Refuses to start without report authentication settings (or an explicit development trust).</summary>
internal sealed class ReportAuthenticationOptionsValidation : IValidateOptions<ReportAuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, ReportAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
