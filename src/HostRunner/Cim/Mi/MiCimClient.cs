using System.Runtime.Versioning;
using System.Security;
using Microsoft.Management.Infrastructure;
using Microsoft.Management.Infrastructure.Options;
using MiException = Microsoft.Management.Infrastructure.CimException;
using MiInstance = Microsoft.Management.Infrastructure.CimInstance;

namespace GpuAutomation.HostRunner.Cim.Mi;

/// <summary>
/// <see cref="ICimClient"/> over Microsoft.Management.Infrastructure. Windows only (MI has no native library on Linux),
/// so this is kept a thin translation between MI's types and ours; behaviour lives above the seam.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed class MiCimClient : ICimClient, IDisposable
{
    private const uint ResourcePropertiesStored = 0x13A0;
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

    public Task ModifyInstanceAsync(CimInstance instance, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return Run(ct =>
        {
            using var operation = Operation(ct);
            using var mi = ToMi(instance);
            using var modified = _session.ModifyInstance(instance.Namespace, mi, operation);
            return true;
        }, cancellationToken);
    }

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
                var (raw, type) = ToMiValue(value);
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
        if (win32 is not null && Convert.ToUInt32(win32, System.Globalization.CultureInfo.InvariantCulture) == ResourcePropertiesStored)
        {
            return new CimException(CimErrors.PropertiesStored, e.Message, ResourcePropertiesStored, e);
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
        return new CimException(code, e.Message, (uint)e.NativeErrorCode, e);
    }

    private static MiInstance KeyedInstance(CimInstancePath path)
    {
        var instance = new MiInstance(path.ClassName, path.Namespace);
        foreach (var (name, value) in path.Keys)
        {
            instance.CimInstanceProperties.Add(CimProperty.Create(name, value, CimType.String, CimFlags.Key));
        }

        return instance;
    }

    private static MiInstance ToMi(CimInstance instance)
    {
        var mi = new MiInstance(instance.ClassName, instance.Namespace);
        foreach (var (name, value) in instance.Properties)
        {
            var (raw, type) = ToMiValue(value);
            var flags = instance.KeyNames.Contains(name, StringComparer.OrdinalIgnoreCase) ? CimFlags.Key : CimFlags.None;
            mi.CimInstanceProperties.Add(CimProperty.Create(name, raw, type, value is null ? flags | CimFlags.NullValue : flags));
        }

        return mi;
    }

    private static (object? Raw, CimType Type) ToMiValue(CimValue? value) => value switch
    {
        null => (null, CimType.String),
        CimValue.Boolean v => (v.Value, CimType.Boolean),
        CimValue.UInt16 v => (v.Value, CimType.UInt16),
        CimValue.UInt32 v => (v.Value, CimType.UInt32),
        CimValue.UInt64 v => (v.Value, CimType.UInt64),
        CimValue.SInt32 v => (v.Value, CimType.SInt32),
        CimValue.Text v => (v.Value, CimType.String),
        CimValue.DateTime v => (v.Value.UtcDateTime, CimType.DateTime),
        CimValue.Reference v => (KeyedInstance(v.Value), CimType.Reference),
        CimValue.Instance v => (ToMi(v.Value), CimType.Instance),
        CimValue.UInt16Array v => (v.Value.ToArray(), CimType.UInt16Array),
        CimValue.TextArray v => (v.Value.ToArray(), CimType.StringArray),
        CimValue.ReferenceArray v => (v.Value.Select(KeyedInstance).ToArray(), CimType.ReferenceArray),
        _ => throw new CimException(CimErrors.TypeMismatch, $"{value.GetType().Name} has no MI translation."),
    };

    private static CimValue? FromMiValue(CimType type, object? value, string ns)
    {
        if (value is null)
        {
            return null;
        }

        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return type switch
        {
            CimType.Boolean => new CimValue.Boolean((bool)value),
            CimType.UInt8 or CimType.UInt16 => new CimValue.UInt16(Convert.ToUInt16(value, culture)),
            CimType.UInt32 => new CimValue.UInt32(Convert.ToUInt32(value, culture)),
            CimType.UInt64 => new CimValue.UInt64(Convert.ToUInt64(value, culture)),
            CimType.SInt8 or CimType.SInt16 or CimType.SInt32 => new CimValue.SInt32(Convert.ToInt32(value, culture)),
            CimType.String or CimType.Char16 => new CimValue.Text(Convert.ToString(value, culture) ?? string.Empty),
            CimType.DateTime when value is DateTime d => new CimValue.DateTime(new DateTimeOffset(d.ToUniversalTime())),
            CimType.Reference => new CimValue.Reference(PathOf((MiInstance)value, ns)),
            CimType.Instance => new CimValue.Instance(FromMi((MiInstance)value, ns)),
            CimType.UInt16Array => new CimValue.UInt16Array([.. ((ushort[])value)]),
            CimType.UInt8Array => new CimValue.UInt16Array([.. ((byte[])value).Select(b => (ushort)b)]),
            CimType.StringArray => new CimValue.TextArray([.. (string[])value]),
            CimType.ReferenceArray => new CimValue.ReferenceArray([.. ((MiInstance[])value).Select(i => PathOf(i, ns))]),
            _ => null,
        };
    }

    private static CimInstancePath PathOf(MiInstance instance, string ns)
        => FromMi(instance, ns).Path;

    private static CimInstance FromMi(MiInstance instance, string ns)
    {
        var properties = new List<KeyValuePair<string, CimValue?>>();
        var keys = new List<string>();
        foreach (var property in instance.CimInstanceProperties)
        {
            properties.Add(new(property.Name, FromMiValue(property.CimType, property.Value, ns)));
            if ((property.Flags & CimFlags.Key) != 0)
            {
                keys.Add(property.Name);
            }
        }

        return new CimInstance(instance.CimSystemProperties.Namespace ?? ns, instance.CimSystemProperties.ClassName, properties, keys, instance.CimSystemProperties.ServerName);
    }
}
