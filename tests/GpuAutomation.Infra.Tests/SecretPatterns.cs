using System.Text.RegularExpressions;

namespace GpuAutomation.Infra.Tests;

/// <summary>Text that means a key, a SAS or a connection string with a secret is in a template or its values.</summary>
public static partial class SecretPatterns
{
    public static IReadOnlyList<string> Find(string text) => [.. Pattern().Matches(text).Select(m => m.Value)];

    // list*() ARM functions (listKeys, listSecrets, listAccountSas, listConnectionStrings...) return secrets;
    // the rest are the markers of storage and Service Bus keys and SAS tokens.
    [GeneratedRegex(@"\blist[A-Za-z]*\s*\(|AccountKey|SharedAccessKey|SharedAccessSignature|\bsig=|\bsv=\d{4}-|primaryKey|secondaryKey|securestring|secureobject", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
