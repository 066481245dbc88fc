using System.Runtime.Versioning;
using System.Security;
using Microsoft.Management.Infrastructure;
using Microsoft.Management.Infrastructure.Options;
using MiException = Microsoft.Management.Infrastructure.CimException;
using MiInstance = Microsoft.Management.Infrastructure.CimInstance;
using MiType = Microsoft.Management.Infrastructure.CimType;

namespace GpuAutomation.HostRunner.Cim.Mi;

/// <summary>
/// <see cref="ICimClient"/> over Microsoft.Management.Infrastructure. Windows only (MI has no native library on Linux),
/// so this is kept a thin translation between MI's types and ours; behaviour lives above the seam.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed class MiCimClient : ICimClient, IDisposable
{
    private readonly CimSession _session;
    private readonly MiCimClientOptions _options;

    public MiCimClient(MiCimClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this._options = options;
        if (string.IsNullOrEmpty(options.ComputerName))
        {
            _session = CimSession.Create(null);
            return;
        }

        using var sessionOptions = new WSManSessionOptions();
        if (options.UserName is not null)
        {
            using var password = new SecureString();
            foreach (var c in options.Password ?? string.Empty)
            {
                password.AppendChar(c);
            }

            sessionOptions.AddDestinationCredentials(new CimCredential(PasswordAuthenticationMechanism.Default, options.Domain ?? string.Empty, options.UserName, password));
        }

        _session = CimSession.Create(options.ComputerName, sessionOptions);
    }

    public Task<IReadOnlyList<CimInstance>> QueryAsync(string ns, WqlQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Run(ct =>
        {
            using var operation = Operation(ct);
            IReadOnlyList<CimInstance> result = [.. _session.QueryInstances(ns, "WQL", query.Text, operation).Select(i => FromMi(i, ns))];
            return result;
        }, cancellationToken);
    }

    public Task<CimInstance> GetInstanceAsync(CimInstancePath path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Run(ct =>
        {
            using var operation = Operation(ct);
            using var keyed = KeyedInstance(path);
            using var found = _session.GetInstance(path.Namespace, keyed, operation);
            return FromMi(found, path.Namespace);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<CimInstance>> GetAssociatedAsync(CimInstancePath source, string associationClass, string resultClass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Run(ct =>
        {
            using var operation = Operation(ct);
            using var keyed = KeyedInstance(source);
            IReadOnlyList<CimInstance> result = [.. _session.EnumerateAssociatedInstances(source.Namespace, keyed, associationClass, resultClass, null, null, operation).Select(i => FromMi(i, source.Namespace))];
            return result;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<CimInstance>> GetReferencesAsync(CimInstancePath target, string associationClass, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Run(ct =>
        {
            using var operation = Operation(ct);
            using var keyed = KeyedInstance(target);
            IReadOnlyList<CimInstance> result = [.. _session.EnumerateReferencingInstances(target.Namespace, keyed, associationClass, null, operation).Select(i => FromMi(i, target.Namespace))];
            return result;
        }, cancellationToken);
    }

    public Task ModifyInstanceAsync(CimInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return Run(ct =>
        {
            using var operation = Operation(ct);
            // The keys and the changed properties only, typed as declared: what Microsoft's client sends (audit rows 9, 48).
            using var mi = ToMi(instance.ForModify());
            using var modified = _session.ModifyInstance(instance.Namespace, mi, operation);
            return true;
        }, cancellationToken);
    }

    public Task<CimClassDeclaration> GetClassAsync(string ns, string className, CancellationToken cancellationToken)
        => Run(ct =>
        {
            // CimSession.GetClass → CimClass.CimClassMethods (learn.microsoft.com … mi-managed-api hh832583, hh832270).
            using var operation = Operation(ct);
            using var declaration = _session.GetClass(ns, className, operation);
            return new CimClassDeclaration(ns, declaration.CimSystemProperties.ClassName, [.. declaration.CimClassMethods.Select(m => m.Name)]);
        }, cancellationToken);

    public Task<CimMethodResult> InvokeMethodAsync(CimInstancePath target, string methodName, IReadOnlyDictionary<string, CimValue?> inParameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(inParameters);
        return Run(ct =>
        {
            using var operation = Operation(ct);
            using var keyed = KeyedInstance(target);
            using var parameters = new CimMethodParametersCollection();
            foreach (var (name, value) in inParameters)
            {
                var (raw, type) = ToMiValue(value, null);
                parameters.Add(CimMethodParameter.Create(name, raw, type, value is null ? CimFlags.NullValue : CimFlags.In));
            }

            var result = _session.InvokeMethod(target.Namespace, keyed, methodName, parameters, operation);
            var returnValue = Convert.ToUInt32(result.ReturnValue.Value, System.Globalization.CultureInfo.InvariantCulture);
            var outs = new Dictionary<string, CimValue?>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in result.OutParameters)
            {
                outs[p.Name] = FromMiValue(p.CimType, p.Value, target.Namespace);
            }

            return new CimMethodResult(returnValue, outs);
        }, cancellationToken);
    }

    public void Dispose() => _session.Dispose();

    private CimOperationOptions Operation(CancellationToken ct)
        => new() { CancellationToken = ct, Timeout = _options.OperationTimeout };

    private static async Task<T> Run<T>(Func<CancellationToken, T> call, CancellationToken cancellationToken)
    {
        try
        {
            return await Task.Run(() => call(cancellationToken), cancellationToken);
        }
        catch (MiException e)
        {
            throw Translate(e);
        }
    }

    private static CimException Translate(MiException e)
    {
        var win32 = e.ErrorData?.CimInstanceProperties["error_Code"]?.Value;
        var stored = win32 is null ? (uint?)null : Convert.ToUInt32(win32, System.Globalization.CultureInfo.InvariantCulture);
        if (ResourcePropertiesStored.Is(stored) || ResourcePropertiesStored.Is(unchecked((uint)e.HResult)))
        {
            return new CimException(CimErrors.PropertiesStored, e.Message, ResourcePropertiesStored.Win32Code, e);
        }

        var code = e.NativeErrorCode switch
        {
            NativeErrorCode.AccessDenied => CimErrors.AccessDenied,
            NativeErrorCode.InvalidNamespace => CimErrors.InvalidNamespace,
            NativeErrorCode.InvalidParameter => CimErrors.InvalidParameter,
            NativeErrorCode.InvalidClass => CimErrors.InvalidClass,
            NativeErrorCode.NotFound => CimErrors.NotFound,
            NativeErrorCode.NotSupported => CimErrors.NotSupported,
            NativeErrorCode.InvalidQuery or NativeErrorCode.QueryLanguageNotSupported => CimErrors.InvalidQuery,
            NativeErrorCode.ServerIsShuttingDown or NativeErrorCode.ServerLimitsExceeded => CimErrors.Unavailable,
            _ => CimErrors.Failed,
        };
        // A provider's own failure (e.g. a cluster group move refused with ERROR_NODE_CANT_HOST_RESOURCE) names its
        // Win32 code in MSFT_WmiError.error_Code; MI's code is then only "failed", so the Win32 code is the one kept.
        return new CimException(code, e.Message, code == CimErrors.Failed && stored is > 0 ? stored : (uint)e.NativeErrorCode, e);
    }

    private static MiInstance KeyedInstance(CimInstancePath path)
    {
        var instance = new MiInstance(path.ClassName, path.Namespace);
        foreach (var (name, value) in path.Keys)
        {
            instance.CimInstanceProperties.Add(CimProperty.Create(name, value, MiType.String, CimFlags.Key));
        }

        return instance;
    }

    private static MiInstance ToMi(CimInstance instance)
    {
        var mi = new MiInstance(instance.ClassName, instance.Namespace);
        foreach (var (name, value) in instance.Properties)
        {
            var (raw, type) = ToMiValue(value, instance.TypeOf(name));
            var flags = instance.KeyNames.Contains(name, StringComparer.OrdinalIgnoreCase) ? CimFlags.Key : CimFlags.None;
            mi.CimInstanceProperties.Add(CimProperty.Create(name, raw, type, value is null ? flags | CimFlags.NullValue : flags));
        }

        return mi;
    }

    private static (object? Raw, MiType Type) ToMiValue(CimValue? value, CimType? declared) => value switch
    {
        // A NULL keeps the type the provider declared for it; a NULL parameter with nothing declared goes as a string.
        null => (null, declared is { } t ? ToMiType(t) : MiType.String),
        CimValue.Boolean v => (v.Value, MiType.Boolean),
        CimValue.UInt16 v when declared == CimType.UInt8 => ((byte)v.Value, MiType.UInt8),
        CimValue.UInt16 v => (v.Value, MiType.UInt16),
        CimValue.UInt32 v => (v.Value, MiType.UInt32),
        CimValue.UInt64 v => (v.Value, MiType.UInt64),
        CimValue.SInt32 v when declared == CimType.SInt16 => ((short)v.Value, MiType.SInt16),
        CimValue.SInt32 v => (v.Value, MiType.SInt32),
        CimValue.Text v => (v.Value, MiType.String),
        CimValue.DateTime v => (v.Value.UtcDateTime, MiType.DateTime),
        CimValue.Interval v => (v.Value, MiType.DateTime),
        CimValue.Reference v => (KeyedInstance(v.Value), MiType.Reference),
        CimValue.Instance v => (ToMi(v.Value), MiType.Instance),
        CimValue.UInt16Array v => (v.Value.ToArray(), MiType.UInt16Array),
        CimValue.UInt8Array v => (v.Value.ToArray(), MiType.UInt8Array),
        CimValue.TextArray v => (v.Value.ToArray(), MiType.StringArray),
        CimValue.ReferenceArray v => (v.Value.Select(KeyedInstance).ToArray(), MiType.ReferenceArray),
        _ => throw new CimException(CimErrors.TypeMismatch, $"{value.GetType().Name} has no MI translation."),
    };

    private static MiType ToMiType(CimType type) => Enum.Parse<MiType>(type.ToString());

    private static CimType? FromMiType(MiType type) => Enum.TryParse<CimType>(type.ToString(), out var t) ? t : null;

    private static CimValue? FromMiValue(MiType type, object? value, string ns)
    {
        if (value is null)
        {
            return null;
        }

        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return type switch
        {
            MiType.Boolean => new CimValue.Boolean((bool)value),
            MiType.UInt8 or MiType.UInt16 => new CimValue.UInt16(Convert.ToUInt16(value, culture)),
            MiType.UInt32 => new CimValue.UInt32(Convert.ToUInt32(value, culture)),
            MiType.UInt64 => new CimValue.UInt64(Convert.ToUInt64(value, culture)),
            MiType.SInt8 or MiType.SInt16 or MiType.SInt32 => new CimValue.SInt32(Convert.ToInt32(value, culture)),
            MiType.String or MiType.Char16 => new CimValue.Text(Convert.ToString(value, culture) ?? string.Empty),
            MiType.DateTime when value is DateTime d => new CimValue.DateTime(new DateTimeOffset(d.ToUniversalTime())),
            // MI hands a CIM interval over as a TimeSpan (e.g. Msvm_VirtualSystemSettingData.AutomaticStartupActionDelay).
            MiType.DateTime when value is TimeSpan t => new CimValue.Interval(t),
            MiType.Reference => new CimValue.Reference(PathOf((MiInstance)value, ns)),
            MiType.Instance => new CimValue.Instance(FromMi((MiInstance)value, ns)),
            MiType.UInt16Array => new CimValue.UInt16Array([.. ((ushort[])value)]),
            MiType.UInt8Array => new CimValue.UInt16Array([.. ((byte[])value).Select(b => (ushort)b)]),
            MiType.StringArray => new CimValue.TextArray([.. (string[])value]),
            MiType.ReferenceArray => new CimValue.ReferenceArray([.. ((MiInstance[])value).Select(i => PathOf(i, ns))]),
            _ => null,
        };
    }

    private static CimInstancePath PathOf(MiInstance instance, string ns)
        => FromMi(instance, ns).Path;

    private static CimInstance FromMi(MiInstance instance, string ns)
    {
        var properties = new List<KeyValuePair<string, CimValue?>>();
        var keys = new List<string>();
        var types = new List<KeyValuePair<string, CimType>>();
        foreach (var property in instance.CimInstanceProperties)
        {
            properties.Add(new(property.Name, FromMiValue(property.CimType, property.Value, ns)));
            if (FromMiType(property.CimType) is { } declared)
            {
                types.Add(new(property.Name, declared));
            }

            if ((property.Flags & CimFlags.Key) != 0)
            {
                keys.Add(property.Name);
            }
        }

        return new CimInstance(instance.CimSystemProperties.Namespace ?? ns, instance.CimSystemProperties.ClassName, properties, keys, instance.CimSystemProperties.ServerName, types);
    }
}
