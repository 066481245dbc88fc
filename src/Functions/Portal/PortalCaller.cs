namespace GpuAutomation.Functions.Portal;

/// <summary>Body of <c>GET /api/portal/me</c>: who the portal is talking to and what it may show them.</summary>
/// <param name="SignInUrl">App Service Authentication's sign-in address under the Functions host; null locally.</param>
public sealed record PortalCaller(bool Authenticated, string? Name, IReadOnlyList<string> Roles, bool CanRead, bool CanOperate, string? SignInUrl);
