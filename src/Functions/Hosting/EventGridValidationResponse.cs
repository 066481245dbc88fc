using System.Text.Json.Serialization;

namespace GpuAutomation.Functions.Hosting;

/// <summary>The answer to an Event Grid subscription validation event: echoes its validation code.</summary>
public sealed record EventGridValidationResponse([property: JsonPropertyName("validationResponse")] string ValidationResponse);
