using System.Collections.Immutable;

namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// An instance of a CIM class as our code sees it: class, namespace, properties (case-insensitive names, as CIM
/// has them), which of them are keys and each property's declared CIM type as the provider reported it (so a NULL
/// keeps its type). Immutable: <see cref="With"/> gives a changed copy for ModifyInstance and remembers which
/// properties changed, because a write sends the instance as read with only those (<see cref="ForModify"/>).
/// </summary>
public sealed record CimInstance
{
    public CimInstance(
        string ns,
        string className,
        IEnumerable<KeyValuePair<string, CimValue?>> properties,
        IEnumerable<string> keyNames,
        string? server = null,
        IEnumerable<KeyValuePair<string, CimType>>? declaredTypes = null)
    {
        Namespace = ns;
        ClassName = className;
        Properties = properties.ToImmutableSortedDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        KeyNames = [.. keyNames];
        Server = server;
        DeclaredTypes = (declaredTypes ?? []).ToImmutableSortedDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        ChangedNames = ImmutableSortedSet.Create<string>(StringComparer.OrdinalIgnoreCase);
    }

    public string Namespace { get; }

    public string ClassName { get; }

    /// <summary>Null values are CIM NULL (the property exists but holds nothing).</summary>
    public ImmutableSortedDictionary<string, CimValue?> Properties { get; init; }

    public ImmutableArray<string> KeyNames { get; }

    public string? Server { get; }

    /// <summary>Declared CIM types as the provider reported them; a property missing here has the type of its value.</summary>
    public ImmutableSortedDictionary<string, CimType> DeclaredTypes { get; init; }

    /// <summary>The properties set with <see cref="With"/> since the instance was read.</summary>
    public ImmutableSortedSet<string> ChangedNames { get; init; }

    public CimInstancePath Path => new(
        Namespace,
        ClassName,
        [.. KeyNames.Select(k => new KeyValuePair<string, string>(k, Get(k)?.ToInvariantString() ?? string.Empty))],
        Server);

    public CimValue? Get(string name) => Properties.GetValueOrDefault(name);

    public bool Has(string name) => Properties.ContainsKey(name);

    public CimInstance With(string name, CimValue? value)
        => this with { Properties = Properties.SetItem(name, value), ChangedNames = ChangedNames.Add(name) };

    /// <summary>The property's CIM type: declared by the provider, else that of its value; null for an untyped NULL.</summary>
    public CimType? TypeOf(string name)
        => DeclaredTypes.TryGetValue(name, out var declared) ? declared : Get(name)?.Type;

    /// <summary>
    /// What a ModifyInstance sends: the keys and the changed properties, with their declared types — the instance as
    /// read with only the changed property, as Microsoft's own client writes (View.BeginPutInternal → PutProperties
    /// of the changed properties; fidelity audit rows 9 and 48). Read-only properties and NULLs of other properties
    /// never go back to the provider.
    /// </summary>
    public CimInstance ForModify()
    {
        var sent = Properties.Where(p => ChangedNames.Contains(p.Key) || KeyNames.Contains(p.Key, StringComparer.OrdinalIgnoreCase)).ToList();
        return new CimInstance(Namespace, ClassName, sent, KeyNames, Server, DeclaredTypes.Where(t => sent.Exists(p => string.Equals(p.Key, t.Key, StringComparison.OrdinalIgnoreCase))))
        {
            ChangedNames = ChangedNames,
        };
    }

    public string? GetString(string name) => Get(name) switch
    {
        null => null,
        CimValue.Text t => t.Value,
        var other => throw Mismatch(name, "string", other),
    };

    public string RequireString(string name) => GetString(name) ?? throw Missing(name);

    public bool? GetBoolean(string name) => Get(name) switch
    {
        null => null,
        CimValue.Boolean b => b.Value,
        var other => throw Mismatch(name, "boolean", other),
    };

    /// <summary>Any unsigned integer width, widened: providers are not consistent about uint16 vs uint32.</summary>
    public ulong? GetUnsigned(string name) => Get(name) switch
    {
        null => null,
        CimValue.UInt16 v => v.Value,
        CimValue.UInt32 v => v.Value,
        CimValue.UInt64 v => v.Value,
        CimValue.SInt32 { Value: >= 0 } v => (ulong)v.Value,
        var other => throw Mismatch(name, "unsigned integer", other),
    };

    public ulong RequireUnsigned(string name) => GetUnsigned(name) ?? throw Missing(name);

    public IReadOnlyList<ushort> GetUInt16Array(string name) => Get(name) switch
    {
        null => [],
        CimValue.UInt16Array a => a.Value,
        var other => throw Mismatch(name, "uint16[]", other),
    };

    public IReadOnlyList<string> GetStringArray(string name) => Get(name) switch
    {
        null => [],
        CimValue.TextArray a => a.Value,
        var other => throw Mismatch(name, "string[]", other),
    };

    public DateTimeOffset? GetDateTime(string name) => Get(name) switch
    {
        null => null,
        CimValue.DateTime d => d.Value,
        var other => throw Mismatch(name, "datetime", other),
    };

    public CimInstance? GetInstance(string name) => Get(name) switch
    {
        null => null,
        CimValue.Instance i => i.Value,
        var other => throw Mismatch(name, "embedded instance", other),
    };

    public bool Equals(CimInstance? other)
        => other is not null
            && string.Equals(ClassName, other.ClassName, StringComparison.OrdinalIgnoreCase)
            && string.Equals(Namespace, other.Namespace, StringComparison.OrdinalIgnoreCase)
            && Properties.Count == other.Properties.Count
            && Properties.All(p => other.Properties.TryGetValue(p.Key, out var v) && Equals(p.Value, v));

    public override int GetHashCode() => HashCode.Combine(ClassName.ToUpperInvariant(), Properties.Count);

    private CimException Mismatch(string name, string expected, CimValue actual)
        => new(CimErrors.TypeMismatch, $"{ClassName}.{name} holds a {actual.GetType().Name}, not a {expected}.");

    private CimException Missing(string name)
        => new(CimErrors.MissingProperty, $"{ClassName}.{name} is missing or NULL on {Path.ToWmiPath()}.");
}
