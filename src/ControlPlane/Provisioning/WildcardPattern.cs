namespace GpuAutomation.ControlPlane.Provisioning;

/// <summary>
/// VM name patterns with * (any run) and ? (any one character), compared case-insensitively like PowerShell's
/// -like. Matching is linear-ish two-pointer backtracking: no regex, so no pattern can be made to run away.
/// </summary>
public static class WildcardPattern
{
    public const int MaxLength = 100;

    /// <summary>Why a pattern can't be used, or null when it can.</summary>
    public static string? Problem(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return "must not be empty";
        }

        if (pattern.Length > MaxLength)
        {
            return $"is {pattern.Length} characters; at most {MaxLength} are allowed";
        }

        if (pattern.Any(char.IsControl))
        {
            return "must not contain control characters";
        }

        return pattern.IndexOfAny(['[', ']']) >= 0
            ? "uses [ ] character ranges, which are not supported; use * and ?"
            : null;
    }

    public static bool IsMatch(string pattern, string value)
    {
        int p = 0, v = 0, star = -1, resume = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || SameLetter(pattern[p], value[v])))
            {
                p++;
                v++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = v;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static bool SameLetter(char a, char b) => char.ToUpperInvariant(a) == char.ToUpperInvariant(b);
}
