using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane;

/// <summary>Refuses to start with invalid <see cref="ControlPlaneOptions"/>, listing every problem at once.</summary>
internal sealed class ControlPlaneOptionsValidation : IValidateOptions<ControlPlaneOptions>
{
    public ValidateOptionsResult Validate(string? name, ControlPlaneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
