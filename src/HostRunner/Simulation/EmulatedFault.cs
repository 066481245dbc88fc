namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// One injected fault. <see cref="Operation"/> is a method name (AddResourceSettings, RequestStateChange,
/// InitiateShutdown, ...) or one of Query, GetInstance, GetAssociated, GetReferences, ModifyInstance, GetClass; <see cref="ClassName"/>
/// narrows it to one class; <see cref="Node"/> to one node. <see cref="Times"/> null means every call.
/// <see cref="FailedJobState"/> is the final state of a <see cref="EmulatedFaultKind.FailJob"/>: 8 Terminated, 9 Killed or
/// 10 Exception (Msvm_ConcreteJob). <see cref="Skip"/> matching calls pass unharmed before the fault applies.
/// </summary>
public sealed record EmulatedFault(
    string Operation,
    EmulatedFaultKind Kind,
    string? ClassName = null,
    string? Node = null,
    uint ReturnValue = 2,
    string? Code = null,
    TimeSpan Delay = default,
    uint JobErrorCode = 32768,
    string Description = "Injected fault",
    int? Times = null,
    ushort FailedJobState = 10,
    int Skip = 0);
