using Microsoft.AspNetCore.Http.HttpResults;

namespace GpuAutomation.Functions.Api;

/// <summary>A request body read by <see cref="StrictJsonBody"/>: the value, or the problem that refused it.</summary>
public readonly record struct JsonBody<T>(T Value, ProblemHttpResult? Problem);
