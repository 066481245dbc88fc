namespace GpuAutomation.HostRunner.Simulation;

/// <summary>The forms in which the emulated cluster provider reports ERROR_RESOURCE_PROPERTIES_STORED.</summary>
public enum PropertiesStoredSurface
{
    /// <summary>The Win32 code 5024 (0x13A0) in MSFT_WmiError.error_Code.</summary>
    Win32Code,

    /// <summary>The HRESULT 0x800713A0.</summary>
    HResult,

    /// <summary>A generic failure whose code says nothing: only re-reading the value shows the write took.</summary>
    GenericFailure,
}
