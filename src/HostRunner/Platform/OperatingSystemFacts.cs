namespace GpuAutomation.HostRunner.Platform;

/// <summary>Win32_OperatingSystem as the agent reads it.</summary>
/// <param name="BuildText">BuildNumber as read ("unknown" when absent).</param>
/// <param name="Build">BuildNumber as a number; 0 when unreadable.</param>
/// <param name="Caption">Caption (e.g. "Microsoft Windows Server 2025 Datacenter"); may be localized.</param>
/// <param name="Sku">OperatingSystemSKU, a GetProductInfo PRODUCT_* value; null when not reported.</param>
public sealed record OperatingSystemFacts(string BuildText, int Build, string? Caption, int? Sku);
