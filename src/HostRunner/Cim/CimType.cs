namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// A property's declared CIM type, kept alongside its value so a NULL is still written with its type (a NULL uint64
/// goes out as <c>TYPE="uint64"</c>, not as a string) — fidelity audit rows 23 and 24.
/// </summary>
public enum CimType
{
    Boolean,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    SInt8,
    SInt16,
    SInt32,
    SInt64,
    String,
    Char16,
    DateTime,
    Reference,
    Instance,
    BooleanArray,
    UInt8Array,
    UInt16Array,
    UInt32Array,
    UInt64Array,
    StringArray,
    DateTimeArray,
    ReferenceArray,
    InstanceArray,
}
