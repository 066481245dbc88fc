namespace GpuAutomation.Functions.Hosting;

/// <summary>The hosting mode the app was started in, for services that behave differently per mode.</summary>
public sealed record HostingModeAccessor(HostingMode Mode);
