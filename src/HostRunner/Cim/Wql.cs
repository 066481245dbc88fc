using System.Globalization;
using System.Text;

namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// Builds WQL <c>SELECT * FROM Class WHERE Prop = 'value' AND ...</c> with every value escaped. WQL string literals
/// escape backslash and the quote with a backslash; values that can't be made safe (empty, longer than
/// <see cref="MaxValueLength"/>, control characters) are refused rather than sent.
/// </summary>
public static class Wql
{
    /// <summary>Generous for device interface paths (~150 chars) and VM names (100), small enough to bound a query.</summary>
    public const int MaxValueLength = 1024;

    public static WqlQuery Select(string className, params ReadOnlySpan<WqlCondition> conditions)
    {
        RequireIdentifier(className);
        var text = new StringBuilder("SELECT * FROM ").Append(className);
        for (var i = 0; i < conditions.Length; i++)
        {
            var condition = conditions[i];
            RequireIdentifier(condition.Property);
            text.Append(i == 0 ? " WHERE " : " AND ").Append(condition.Property)
                .Append(condition.IsLike ? " LIKE " : " = ").Append(condition.Literal);
        }

        return new WqlQuery(text.ToString(), className);
    }

    public static WqlCondition Equal(string property, string value) => new(property, Quote(value), false);

    public static WqlCondition Equal(string property, ulong value) => new(property, value.ToString(CultureInfo.InvariantCulture), false);

    public static WqlCondition Equal(string property, bool value) => new(property, value ? "TRUE" : "FALSE", false);

    /// <summary>LIKE with a value whose own wildcard characters (%, _, [) are matched literally, then a trailing pattern.</summary>
    public static WqlCondition EndsWith(string property, string suffix)
    {
        var escaped = new StringBuilder("%");
        foreach (var c in Validate(suffix))
        {
            // In a WQL LIKE pattern [x] matches x literally; that is the only escape LIKE has.
            _ = c is '%' or '_' or '[' ? escaped.Append('[').Append(c).Append(']') : escaped.Append(c);
        }

        return new(property, Quote(escaped.ToString()), true);
    }

    /// <summary>The value as a quoted WQL string literal.</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder("'");
        foreach (var c in Validate(value))
        {
            if (c is '\\' or '\'')
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        return text.Append('\'').ToString();
    }

    private static string Validate(string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new CimException(CimErrors.UnsafeWqlValue, "An empty value can't be placed in a WQL query.");
        }

        if (value.Length > MaxValueLength)
        {
            throw new CimException(CimErrors.UnsafeWqlValue, $"A value of {value.Length} characters is longer than the {MaxValueLength} allowed in a WQL query.");
        }

        if (value.Any(char.IsControl))
        {
            throw new CimException(CimErrors.UnsafeWqlValue, $"The value '{Printable(value)}' holds control characters and can't be placed in a WQL query.");
        }

        return value;
    }

    private static void RequireIdentifier(string name)
    {
        if (string.IsNullOrEmpty(name) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(name[0]))
        {
            throw new CimException(CimErrors.UnsafeWqlValue, $"'{Printable(name)}' is not a WQL class or property name.");
        }
    }

    private static string Printable(string value)
        => new([.. value.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
}
