namespace GpuAutomation.HostRunner.Cim;

/// <summary>What a CIM method returned: its ReturnValue and the out parameters by name (case-insensitive).</summary>
public sealed record CimMethodResult(uint ReturnValue, IReadOnlyDictionary<string, CimValue?> OutParameters)
{
    public CimInstancePath? GetReference(string name)
        => OutParameters.TryGetValue(name, out var value) && value is CimValue.Reference r ? r.Value : null;
}
