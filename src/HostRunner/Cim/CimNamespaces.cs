namespace GpuAutomation.HostRunner.Cim;

public static class CimNamespaces
{
    public const string Virtualization = @"root\virtualization\v2";
    public const string Cluster = @"root\MSCluster";
    public const string Cimv2 = @"root\cimv2";
}
