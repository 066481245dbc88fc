using System.Globalization;

namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// A typed CIM property or parameter value. Only the CIM types the GPU-P, cluster and PnP classes use are modelled;
/// the production adapter and the emulator both translate through these, so nothing else can slip across the seam.
/// </summary>
public abstract record CimValue
{
    private protected CimValue()
    {
    }

    public sealed record Boolean(bool Value) : CimValue;

    public sealed record UInt16(ushort Value) : CimValue;

    public sealed record UInt32(uint Value) : CimValue;

    public sealed record UInt64(ulong Value) : CimValue;

    public sealed record SInt32(int Value) : CimValue;

    public sealed record Text(string Value) : CimValue;

    public sealed record DateTime(DateTimeOffset Value) : CimValue;

    /// <summary>A reference to another instance (a CIM REF).</summary>
    public sealed record Reference(CimInstancePath Value) : CimValue;

    /// <summary>An embedded object, e.g. MSCluster_Resource.PrivateProperties.</summary>
    public sealed record Instance(CimInstance Value) : CimValue;

    public sealed record UInt16Array(IReadOnlyList<ushort> Value) : CimValue
    {
        public bool Equals(UInt16Array? other) => other is not null && Value.SequenceEqual(other.Value);

        public override int GetHashCode() => Value.Count;
    }

    public sealed record TextArray(IReadOnlyList<string> Value) : CimValue
    {
        public bool Equals(TextArray? other) => other is not null && Value.SequenceEqual(other.Value, StringComparer.Ordinal);

        public override int GetHashCode() => Value.Count;
    }

    public sealed record ReferenceArray(IReadOnlyList<CimInstancePath> Value) : CimValue
    {
        public bool Equals(ReferenceArray? other) => other is not null && Value.SequenceEqual(other.Value);

        public override int GetHashCode() => Value.Count;
    }

    /// <summary>The value as WQL and CIM-XML write scalars; arrays and instances have no scalar text.</summary>
    public string ToInvariantString() => this switch
    {
        Boolean b => b.Value ? "TRUE" : "FALSE",
        UInt16 v => v.Value.ToString(CultureInfo.InvariantCulture),
        UInt32 v => v.Value.ToString(CultureInfo.InvariantCulture),
        UInt64 v => v.Value.ToString(CultureInfo.InvariantCulture),
        SInt32 v => v.Value.ToString(CultureInfo.InvariantCulture),
        Text t => t.Value,
        DateTime d => d.Value.ToString("O", CultureInfo.InvariantCulture),
        Reference r => r.Value.ToWmiPath(),
        _ => throw new CimException(CimErrors.TypeMismatch, $"A {GetType().Name} value has no scalar text form."),
    };
}
