namespace GpuAutomation.Contracts.Messaging;

/// <summary>A message body as it goes on the wire, and its content encoding (null = plain UTF-8 JSON, or <see cref="MessageCodec.GzipEncoding"/>).</summary>
public sealed record WireBody(byte[] Bytes, string? ContentEncoding);
