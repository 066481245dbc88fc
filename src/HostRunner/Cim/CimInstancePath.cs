using System.Text;

namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// Identifies one instance: namespace, class and key properties. Renders as the WMI object path Hyper-V expects in
/// HostResource and REF parameters, e.g. <c>\\NODE1\root\virtualization\v2:Msvm_PartitionableGpu.CreationClassName="Msvm_PartitionableGpu",Name="..."</c>.
/// </summary>
public sealed record CimInstancePath(string Namespace, string ClassName, IReadOnlyList<KeyValuePair<string, string>> Keys, string? Server = null)
{
    public string? KeyValue(string name)
        => Keys.FirstOrDefault(k => string.Equals(k.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public string ToWmiPath()
    {
        var builder = new StringBuilder();
        if (Server is not null)
        {
            builder.Append(@"\\").Append(Server).Append('\\');
        }

        builder.Append(Namespace).Append(':').Append(ClassName);
        for (var i = 0; i < Keys.Count; i++)
        {
            builder.Append(i == 0 ? '.' : ',').Append(Keys[i].Key).Append("=\"");
            foreach (var c in Keys[i].Value)
            {
                // WMI object paths escape backslash and double quote with a backslash.
                if (c is '\\' or '"')
                {
                    builder.Append('\\');
                }

                builder.Append(c);
            }

            builder.Append('"');
        }

        return builder.ToString();
    }

    /// <summary>Reads a path written by <see cref="ToWmiPath"/> (string keys only, which is all these classes use).</summary>
    public static CimInstancePath Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? server = null;
        var rest = path;
        if (rest.StartsWith(@"\\", StringComparison.Ordinal))
        {
            var end = rest.IndexOf('\\', 2);
            if (end < 0)
            {
                throw Invalid(path);
            }

            server = rest[2..end];
            rest = rest[(end + 1)..];
        }

        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        var dot = colon < 0 ? -1 : rest.IndexOf('.', colon);
        if (colon <= 0 || dot < 0)
        {
            throw Invalid(path);
        }

        var ns = rest[..colon];
        var className = rest[(colon + 1)..dot];
        var keys = new List<KeyValuePair<string, string>>();
        var i = dot + 1;
        while (i < rest.Length)
        {
            var eq = rest.IndexOf("=\"", i, StringComparison.Ordinal);
            if (eq < 0)
            {
                throw Invalid(path);
            }

            var name = rest[i..eq];
            var value = new StringBuilder();
            var j = eq + 2;
            for (; j < rest.Length && rest[j] != '"'; j++)
            {
                if (rest[j] == '\\' && j + 1 < rest.Length)
                {
                    j++;
                }

                value.Append(rest[j]);
            }

            if (j >= rest.Length || name.Length == 0)
            {
                throw Invalid(path);
            }

            keys.Add(new(name, value.ToString()));
            i = j + 1;
            if (i < rest.Length)
            {
                if (rest[i] != ',')
                {
                    throw Invalid(path);
                }

                i++;
            }
        }

        if (keys.Count == 0 || className.Length == 0)
        {
            throw Invalid(path);
        }

        return new CimInstancePath(ns, className, keys, server);
    }

    public bool Equals(CimInstancePath? other)
        => other is not null
            && string.Equals(Namespace, other.Namespace, StringComparison.OrdinalIgnoreCase)
            && string.Equals(ClassName, other.ClassName, StringComparison.OrdinalIgnoreCase)
            && Keys.Count == other.Keys.Count
            && Keys.All(k => string.Equals(other.KeyValue(k.Key), k.Value, StringComparison.Ordinal));

    public override int GetHashCode()
        => HashCode.Combine(Namespace.ToUpperInvariant(), ClassName.ToUpperInvariant(), Keys.Count);

    public override string ToString() => ToWmiPath();

    private static CimException Invalid(string path)
        => new(CimErrors.InvalidPath, $"'{path}' is not a WMI object path of the form namespace:Class.Key=\"value\".");
}
