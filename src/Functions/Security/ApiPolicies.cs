using GpuAutomation.Functions.Configuration;

namespace GpuAutomation.Functions.Security;

/// <summary>Authorization policies of the API: reading needs the reader or operator role, changing needs operator.</summary>
public static class ApiPolicies
{
    public const string Reader = "GpuAutomation.Read";
    public const string Operator = "GpuAutomation.Change";

    /// <summary>An operator may read what it changes.</summary>
    public static IReadOnlyList<string> ReaderRoles { get; } = [AppSettingNames.ReaderRole, AppSettingNames.OperatorRole];

    public static IReadOnlyList<string> OperatorRoles { get; } = [AppSettingNames.OperatorRole];
}
