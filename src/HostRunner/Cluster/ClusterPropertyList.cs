using System.Buffers.Binary;
using System.Text;

namespace GpuAutomation.HostRunner.Cluster;

/// <summary>
/// The raw cluster property list MSCluster_ResourceGroup.MoveToNewNodeParams takes as its uint8[] Parameters: how a
/// group move tells the "Virtual Machine" resource which migration to do. Layout (learn.microsoft.com/
/// previous-versions/windows/desktop/mscs/property-lists and CLUSPROP_SYNTAX): a DWORD property count, then per
/// property a CLUSPROP_PROPERTY_NAME (syntax CLUSPROP_SYNTAX_NAME 0x00040003, byte length of the UTF-16 name with its
/// terminating NUL, the name padded to a DWORD boundary) and its value (syntax CLUSPROP_SYNTAX_LIST_VALUE_DWORD
/// 0x00010002, length 4, the DWORD), closed by CLUSPROP_SYNTAX_ENDMARK (0). All little-endian.
/// The property name is the resource type name, "Virtual Machine", and the value a VM_RESDLL_CONTEXT
/// (learn.microsoft.com/windows/win32/api/resapi/ne-resapi-vm_resdll_context: 0 turn off, 1 save, 2 shut down,
/// 3 forced shutdown, 4 live migration — "used in a property list as input for MoveClusterGroupEx's lpInBuffer").
/// </summary>
public static class ClusterPropertyList
{
    public const uint SyntaxName = 0x00040003;
    public const uint SyntaxDword = 0x00010002;
    public const uint SyntaxEndMark = 0;

    /// <summary>The resource type name the VM resource DLL looks for (VM_RESDLL_CONTEXT remarks).</summary>
    public const string VirtualMachineProperty = "Virtual Machine";

    /// <summary>VM_RESDLL_CONTEXT values.</summary>
    public const uint ContextTurnOff = 0;
    public const uint ContextSave = 1;
    public const uint ContextShutdown = 2;
    public const uint ContextShutdownForce = 3;
    public const uint ContextLiveMigration = 4;

    /// <summary>A property list with one DWORD property.</summary>
    public static byte[] Dword(string name, uint value)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameBytes = Encoding.Unicode.GetBytes(name + "\0");
        var padded = (nameBytes.Length + 3) & ~3;
        var buffer = new byte[4 + 8 + padded + 12 + 4];
        var at = 0;
        Write(buffer, ref at, 1);
        Write(buffer, ref at, SyntaxName);
        Write(buffer, ref at, (uint)nameBytes.Length);
        nameBytes.CopyTo(buffer, at);
        at += padded;
        Write(buffer, ref at, SyntaxDword);
        Write(buffer, ref at, 4);
        Write(buffer, ref at, value);
        Write(buffer, ref at, SyntaxEndMark);
        return buffer;
    }

    /// <summary>Reads a list written as <see cref="Dword"/> writes it: its one name and value; null when malformed.</summary>
    public static (string Name, uint Value)? ReadDword(IReadOnlyList<byte> list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var bytes = list as byte[] ?? [.. list];
        if (bytes.Length < 4 || Read(bytes, 0) != 1 || bytes.Length < 12 || Read(bytes, 4) != SyntaxName)
        {
            return null;
        }

        var nameLength = (int)Read(bytes, 8);
        var padded = (nameLength + 3) & ~3;
        if (nameLength < 2 || nameLength % 2 != 0 || bytes.Length != 12 + padded + 16)
        {
            return null;
        }

        var name = Encoding.Unicode.GetString(bytes, 12, nameLength);
        if (!name.EndsWith('\0'))
        {
            return null;
        }

        var at = 12 + padded;
        return Read(bytes, at) == SyntaxDword && Read(bytes, at + 4) == 4 && Read(bytes, at + 12) == SyntaxEndMark
            ? (name[..^1], Read(bytes, at + 8))
            : null;
    }

    private static void Write(byte[] buffer, ref int at, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at), value);
        at += 4;
    }

    private static uint Read(byte[] bytes, int at) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
}
