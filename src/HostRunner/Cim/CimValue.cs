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

    /// <summary>A CIM datetime timestamp; written in DMTF form <c>yyyymmddHHMMSS.mmmmmmsUUU</c>, never ISO 8601.</summary>
    public sealed record DateTime(DateTimeOffset Value) : CimValue;

    /// <summary>A CIM datetime interval; written in DMTF form <c>ddddddddHHMMSS.mmmmmm:000</c>.</summary>
    public sealed record Interval(TimeSpan Value) : CimValue;

    /// <summary>A reference to another instance (a CIM REF).</summary>
    public sealed record Reference(CimInstancePath Value) : CimValue;

    /// <summary>An embedded object, e.g. MSCluster_Resource.PrivateProperties.</summary>
    public sealed record Instance(CimInstance Value) : CimValue;

    public sealed record UInt16Array(IReadOnlyList<ushort> Value) : CimValue
    {
        public bool Equals(UInt16Array? other) => other is not null && Value.SequenceEqual(other.Value);

        public override int GetHashCode() => Value.Count;
    }

    /// <summary>A uint8[] parameter, e.g. the raw cluster property list of MSCluster_ResourceGroup.MoveToNewNodeParams.</summary>
    public sealed record UInt8Array(IReadOnlyList<byte> Value) : CimValue
    {
        public bool Equals(UInt8Array? other) => other is not null && Value.SequenceEqual(other.Value);

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

    /// <summary>The CIM type a value of this kind has when nothing declares one.</summary>
    public CimType Type => this switch
    {
        Boolean => CimType.Boolean,
        UInt16 => CimType.UInt16,
        UInt32 => CimType.UInt32,
        UInt64 => CimType.UInt64,
        SInt32 => CimType.SInt32,
        Text => CimType.String,
        DateTime or Interval => CimType.DateTime,
        Reference => CimType.Reference,
        Instance => CimType.Instance,
        UInt16Array => CimType.UInt16Array,
        UInt8Array => CimType.UInt8Array,
        TextArray => CimType.StringArray,
        ReferenceArray => CimType.ReferenceArray,
        _ => throw new CimException(CimErrors.TypeMismatch, $"{GetType().Name} has no CIM type."),
    };

    /// <summary>
    /// A DMTF timestamp (learn.microsoft.com/windows/win32/wmisdk/cim-datetime): the offset from UTC in minutes,
    /// signed, after six digits of microseconds.
    /// </summary>
    public static string ToDmtf(DateTimeOffset value)
    {
        var minutes = (int)value.Offset.TotalMinutes;
        var micro = (value.Ticks % TimeSpan.TicksPerSecond) / 10;
        return string.Create(CultureInfo.InvariantCulture, $"{value:yyyyMMddHHmmss}.{micro:D6}{(minutes < 0 ? '-' : '+')}{Math.Abs(minutes):D3}");
    }

    /// <summary>A DMTF interval (learn.microsoft.com/windows/win32/wmisdk/interval-format): eight digits of days, ':000'.</summary>
    public static string ToDmtf(TimeSpan value)
    {
        var micro = (value.Ticks % TimeSpan.TicksPerSecond) / 10;
        return string.Create(CultureInfo.InvariantCulture, $"{value.Days:D8}{value.Hours:D2}{value.Minutes:D2}{value.Seconds:D2}.{micro:D6}:000");
    }

    /// <summary>Parses either DMTF form (a ':' sign marks an interval); null when the text is neither.</summary>
    public static CimValue? ParseDmtf(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length != 25 || text[14] != '.')
        {
            return null;
        }

        var culture = CultureInfo.InvariantCulture;
        if (text[21] == ':')
        {
            return int.TryParse(text.AsSpan(0, 8), NumberStyles.None, culture, out var days)
                && int.TryParse(text.AsSpan(8, 2), NumberStyles.None, culture, out var hours)
                && int.TryParse(text.AsSpan(10, 2), NumberStyles.None, culture, out var minutes)
                && int.TryParse(text.AsSpan(12, 2), NumberStyles.None, culture, out var seconds)
                && int.TryParse(text.AsSpan(15, 6), NumberStyles.None, culture, out var micro)
                ? new Interval(new TimeSpan(days, hours, minutes, seconds) + TimeSpan.FromTicks(micro * 10L))
                : null;
        }

        if (text[21] is not ('+' or '-')
            || !System.DateTime.TryParseExact(text[..14], "yyyyMMddHHmmss", culture, DateTimeStyles.None, out var local)
            || !int.TryParse(text.AsSpan(15, 6), NumberStyles.None, culture, out var us)
            || !int.TryParse(text.AsSpan(22, 3), NumberStyles.None, culture, out var offset))
        {
            return null;
        }

        var span = TimeSpan.FromMinutes(text[21] == '-' ? -offset : offset);
        return new DateTime(new DateTimeOffset(local.AddTicks(us * 10L), span));
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
        DateTime d => ToDmtf(d.Value),
        Interval i => ToDmtf(i.Value),
        Reference r => r.Value.ToWmiPath(),
        _ => throw new CimException(CimErrors.TypeMismatch, $"A {GetType().Name} value has no scalar text form."),
    };
}
