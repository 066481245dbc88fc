using System.Collections.Immutable;

namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// An instance of a CIM class as our code sees it: class, namespace, properties (case-insensitive names, as CIM
/// has them) and which of them are keys. Immutable: <see cref="With"/> gives a changed copy for ModifyInstance.
/// </summary>
public sealed record CimInstance
{
    public CimInstance(string ns, string className, IEnumerable<KeyValuePair<string, CimValue?>> properties, IEnumerable<string> keyNames, string? server = null)
    {
        Namespace = ns;
        ClassName = className;
        Properties = properties.ToImmutableSortedDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        KeyNames = [.. keyNames];
        Server = server;
    }

    public string Namespace { get; }

    public string ClassName { get; }

    /// <summary>Null values are CIM NULL (the property exists but holds nothing).</summary>
    public ImmutableSortedDictionary<string, CimValue?> Properties { get; init; }

    public ImmutableArray<string> KeyNames { get; }

    public string? Server { get; }

    public CimInstancePath Path => new(
        Namespace,
        ClassName,
        [.. KeyNames.Select(k => new KeyValuePair<string, string>(k, Get(k)?.ToInvariantString() ?? string.Empty))],
        Server);

    public CimValue? Get(string name) => Properties.GetValueOrDefault(name);

    public bool Has(string name) => Properties.ContainsKey(name);

    public CimInstance With(string name, CimValue? value) => this with { Properties = Properties.SetItem(name, value) };

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
