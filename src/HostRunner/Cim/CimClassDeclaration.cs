namespace GpuAutomation.HostRunner.Cim;

/// <summary>A class as the provider declares it (MI's CimClass): enough for <c>check</c> to see that the methods the agent calls exist.</summary>
public sealed record CimClassDeclaration(string Namespace, string ClassName, IReadOnlyList<string> Methods);
