using System.Diagnostics;
using GpuAutomation.HostRunner.Diagnostics;

namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// Any <see cref="ICimClient"/> with a client span and a latency measurement per call. Spans carry the namespace,
/// class and method names, the ReturnValue of a method and the CimErrors code of a failure: never property values,
/// query text or method arguments (VM names, paths and settings stay out of telemetry).
/// </summary>
public sealed class TracedCimClient(ICimClient inner) : ICimClient
{
    public ICimClient Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public Task<IReadOnlyList<CimInstance>> QueryAsync(string ns, WqlQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return TraceAsync("Query", ns, query.ClassName, null, () => Inner.QueryAsync(ns, query, cancellationToken));
    }

    public Task<CimInstance> GetInstanceAsync(CimInstancePath path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        return TraceAsync("GetInstance", path.Namespace, path.ClassName, null, () => Inner.GetInstanceAsync(path, cancellationToken));
    }

    public Task<IReadOnlyList<CimInstance>> GetAssociatedAsync(CimInstancePath source, string associationClass, string resultClass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        return TraceAsync("GetAssociated", source.Namespace, resultClass, associationClass, () => Inner.GetAssociatedAsync(source, associationClass, resultClass, cancellationToken));
    }

    public Task<IReadOnlyList<CimInstance>> GetReferencesAsync(CimInstancePath target, string associationClass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return TraceAsync("GetReferences", target.Namespace, associationClass, null, () => Inner.GetReferencesAsync(target, associationClass, cancellationToken));
    }

    public Task ModifyInstanceAsync(CimInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return TraceAsync("ModifyInstance", instance.Namespace, instance.ClassName, null, async () =>
        {
            await Inner.ModifyInstanceAsync(instance, cancellationToken);
            return true;
        });
    }

    public Task<CimClassDeclaration> GetClassAsync(string ns, string className, CancellationToken cancellationToken)
        => TraceAsync("GetClass", ns, className, null, () => Inner.GetClassAsync(ns, className, cancellationToken));

    public Task<CimMethodResult> InvokeMethodAsync(CimInstancePath target, string methodName, IReadOnlyDictionary<string, CimValue?> inParameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return TraceAsync("InvokeMethod", target.Namespace, target.ClassName, methodName, () => Inner.InvokeMethodAsync(target, methodName, inParameters, cancellationToken));
    }

    private static async Task<T> TraceAsync<T>(string operation, string ns, string className, string? detail, Func<Task<T>> call)
    {
        // A method or association names the span with the class (Msvm_VirtualSystemManagementService.AddResourceSettings).
        var name = detail is null ? $"cim {operation} {className}" : $"cim {operation} {className}.{detail}";
        using var activity = HostRunnerTelemetry.Source.StartActivity(name, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "cim");
            activity.SetTag("cim.operation", operation);
            activity.SetTag("cim.namespace", ns);
            activity.SetTag("cim.class", className);
            if (detail is not null)
            {
                activity.SetTag(operation == "InvokeMethod" ? "cim.method" : "cim.association", detail);
            }
        }

        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            var result = await call();
            if (result is CimMethodResult method)
            {
                // 0 done, 4096 job started; anything else is the provider's error number (hyperv-wmi.md).
                activity?.SetTag("cim.return_value", (long)method.ReturnValue);
            }

            return result;
        }
        catch (CimException e)
        {
            outcome = e.Code;
            activity?.SetStatus(ActivityStatusCode.Error, e.Code);
            activity?.SetTag("error.type", e.Code);
            if (e.NativeCode is { } native)
            {
                activity?.SetTag("cim.native_code", (long)native);
            }

            HostRunnerTelemetry.CimErrors.Add(1, new TagList { { "cim.operation", operation }, { "cim.class", className }, { "error.type", e.Code } });
            throw;
        }
        catch (OperationCanceledException)
        {
            outcome = "cancelled";
            throw;
        }
        finally
        {
            HostRunnerTelemetry.CimDuration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new TagList { { "cim.operation", operation }, { "cim.class", className }, { "outcome", outcome } });
        }
    }
}
