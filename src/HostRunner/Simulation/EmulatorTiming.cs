namespace GpuAutomation.HostRunner.Simulation;

/// <summary>How long emulated jobs and guests take. Zero is allowed: jobs then complete on the next read.</summary>
public sealed record EmulatorTiming(int JobDelayMs = 0, int GuestShutdownMs = 0);
