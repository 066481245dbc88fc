using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.HyperV;

/// <summary>Return values of Msvm methods and what they mean to us.</summary>
public static class HyperVReturnCodes
{
    public const uint Completed = 0;
    public const uint NotSupported = 1;
    public const uint Failed = 2;
    public const uint Timeout = 3;
    public const uint InvalidParameter = 4;
    public const uint InvalidState = 5;
    public const uint IncompatibleParameters = 6;
    public const uint JobStarted = 4096;
    public const uint AccessDenied = 32769;

    /// <summary>RequestStateChange / InitiateShutdown: not supported (Msvm_ComputerSystem.RequestStateChange).</summary>
    public const uint StateChangeNotSupported = 32770;

    /// <summary>RequestStateChange / InitiateShutdown: invalid parameter.</summary>
    public const uint StateChangeInvalidParameter = 32773;
    public const uint InvalidStateForOperation = 32775;
    public const uint ShutdownLocked = 32781;
    public const uint AlreadyShuttingDown = 32782;

    public static CimException ToException(uint returnValue, string operation)
    {
        var (code, meaning) = returnValue switch
        {
            NotSupported => (CimErrors.NotSupported, "not supported"),
            Timeout => (CimErrors.JobTimeout, "timed out"),
            InvalidParameter or StateChangeInvalidParameter => (CimErrors.InvalidParameter, "invalid parameter"),
            StateChangeNotSupported => (CimErrors.NotSupported, "not supported"),
            InvalidState or InvalidStateForOperation => (CimErrors.InvalidState, "invalid state"),
            IncompatibleParameters => (CimErrors.InvalidParameter, "incompatible parameters"),
            AccessDenied => (CimErrors.AccessDenied, "access denied"),
            ShutdownLocked => (CimErrors.InvalidState, "shutdown locked"),
            _ => (CimErrors.MethodFailed, "failed"),
        };
        return new CimException(code, $"{operation} returned {returnValue} ({meaning}).", returnValue);
    }
}
