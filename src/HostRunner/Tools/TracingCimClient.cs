using System.Globalization;
using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Tools;

/// <summary>
/// Prints every CIM call the production operations make — query, read, write, method with its parameters, and what
/// came back (job states and errors included) — before passing it on unchanged. Used by <c>canary</c> so an operator
/// sees exactly what went to WMI on the first real host.
/// </summary>
public sealed class TracingCimClient(ICimClient inner, TextWriter output) : ICimClient
{
    public async Task<IReadOnlyList<CimInstance>> QueryAsync(string ns, WqlQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return await TraceAsync($@"query {ns}: {query.Text}", () => inner.QueryAsync(ns, query, cancellationToken), r => Inv($"{r.Count} instance(s)"));
    }

    public async Task<CimInstance> GetInstanceAsync(CimInstancePath path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        return await TraceAsync($"get {path.ToWmiPath()}", () => inner.GetInstanceAsync(path, cancellationToken), Describe);
    }

    public async Task<IReadOnlyList<CimInstance>> GetAssociatedAsync(CimInstancePath source, string associationClass, string resultClass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        return await TraceAsync(
            $"associators of {source.ToWmiPath()} via {associationClass} → {resultClass}",
            () => inner.GetAssociatedAsync(source, associationClass, resultClass, cancellationToken),
            r => Inv($"{r.Count} instance(s)"));
    }

    public async Task<IReadOnlyList<CimInstance>> GetReferencesAsync(CimInstancePath target, string associationClass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return await TraceAsync(
            $"references of {target.ToWmiPath()} via {associationClass}",
            () => inner.GetReferencesAsync(target, associationClass, cancellationToken),
            r => Inv($"{r.Count} instance(s)"));
    }

    public async Task ModifyInstanceAsync(CimInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var sent = instance.ForModify();
        await TraceAsync<bool>(
            $"modify {instance.Path.ToWmiPath()} with {string.Join(", ", sent.Properties.Where(p => !sent.KeyNames.Contains(p.Key, StringComparer.OrdinalIgnoreCase)).Select(p => $"{p.Key}={Format(p.Value)}"))}",
            async () =>
            {
                await inner.ModifyInstanceAsync(instance, cancellationToken);
                return true;
            },
            _ => "done");
    }

    public async Task<CimClassDeclaration> GetClassAsync(string ns, string className, CancellationToken cancellationToken)
        => await TraceAsync($@"class {ns}:{className}", () => inner.GetClassAsync(ns, className, cancellationToken), d => $"methods [{string.Join(", ", d.Methods)}]");

    public async Task<CimMethodResult> InvokeMethodAsync(CimInstancePath target, string methodName, IReadOnlyDictionary<string, CimValue?> inParameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(inParameters);
        return await TraceAsync(
            $"invoke {target.ClassName}.{methodName} on {target.ToWmiPath()}({string.Join(", ", inParameters.Select(p => $"{p.Key}={Format(p.Value)}"))})",
            () => inner.InvokeMethodAsync(target, methodName, inParameters, cancellationToken),
            r => Inv($"ReturnValue {r.ReturnValue}{(r.ReturnValue == HyperVReturnCodes.JobStarted ? " (job started)" : string.Empty)}{string.Concat(r.OutParameters.Select(p => $", {p.Key}={Format(p.Value)}"))}"));
    }

    internal static string Format(CimValue? value) => value switch
    {
        null => "NULL",
        CimValue.TextArray a => "[" + string.Join(", ", a.Value) + "]",
        CimValue.UInt16Array a => "[" + string.Join(", ", a.Value) + "]",
        CimValue.ReferenceArray a => "[" + string.Join(", ", a.Value.Select(p => p.ToWmiPath())) + "]",
        CimValue.Instance i => $"instance of {i.Value.ClassName} {{{string.Join(", ", i.Value.Properties.Select(p => $"{p.Key}={Format(p.Value)}"))}}}",
        _ => value.ToInvariantString(),
    };

    /// <summary>A job read back shows its state and error; other instances only their class.</summary>
    private static string Describe(CimInstance instance)
        => string.Equals(instance.ClassName, HyperVClasses.ConcreteJob, StringComparison.OrdinalIgnoreCase)
            ? Inv($"JobState {instance.GetUnsigned("JobState")}, PercentComplete {instance.GetUnsigned("PercentComplete")}, ErrorCode {instance.GetUnsigned("ErrorCode")}{(instance.GetString("ErrorDescription") is { } d ? $", ErrorDescription '{d}'" : string.Empty)}")
            : $"instance of {instance.ClassName}";

    private async Task<T> TraceAsync<T>(string call, Func<Task<T>> action, Func<T, string> describe)
    {
        await output.WriteLineAsync($"  cim> {call}");
        try
        {
            var result = await action();
            await output.WriteLineAsync($"       → {describe(result)}");
            return result;
        }
        catch (CimException e)
        {
            await output.WriteLineAsync(Inv($"       → error {e.Code}{(e.NativeCode is { } n ? $" (native {n})" : string.Empty)}: {e.Message}"));
            throw;
        }
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
