namespace GpuAutomation.Functions.Portal;

/// <summary>One file of the portal as served: its public name (content hash included for assets), bytes and type.</summary>
/// <param name="Name">The source file name, e.g. <c>app.js</c>.</param>
/// <param name="HashedName">The served name, e.g. <c>app.3f2a9c01be44.js</c>; equal to <paramref name="Name"/> for the page.</param>
/// <param name="ETag">A strong validator of <paramref name="Content"/> (quoted, as the header carries it).</param>
public sealed record PortalAsset(string Name, string HashedName, string ContentType, ReadOnlyMemory<byte> Content, string ETag);
