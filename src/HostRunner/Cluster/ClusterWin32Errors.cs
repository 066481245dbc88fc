namespace GpuAutomation.HostRunner.Cluster;

/// <summary>
/// The system error codes a group move can end with (learn.microsoft.com/windows/win32/debug/system-error-codes--5000-5999-).
/// Which of them root\MSCluster's move methods surface, and whether as the Win32 code or its HRESULT (0x8007xxxx), is
/// not documented: <see cref="Win32Of"/> reads both.
/// </summary>
public static class ClusterWin32Errors
{
    public const uint NotSupported = 50;
    public const uint InvalidParameter = 87;
    public const uint HostNodeNotAvailable = 5005;
    public const uint GroupNotFound = 5013;
    public const uint ClusterNodeNotFound = 5042;
    public const uint ClusterNodeDown = 5050;
    public const uint ClusterNodePaused = 5070;
    public const uint NodeCantHostResource = 5071;
    public const uint ClusterGroupMoving = 5908;

    /// <summary>The Win32 code in <paramref name="native"/>, unwrapping an HRESULT_FROM_WIN32 (0x8007xxxx).</summary>
    public static uint? Win32Of(uint? native) => native is { } n && (n & 0xFFFF0000) == 0x80070000 ? n & 0xFFFF : native;
}
