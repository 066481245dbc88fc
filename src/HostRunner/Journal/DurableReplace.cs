using System.ComponentModel;
using System.Runtime.InteropServices;

namespace GpuAutomation.HostRunner.Journal;

/// <summary>
/// Replaces a file with another, already flushed one by renaming it over the first, such that the rename itself
/// survives a power loss: on Windows with MoveFileEx and MOVEFILE_WRITE_THROUGH; elsewhere with a rename and an fsync
/// of the directory that holds it (without which the directory entry may still name the old file after a crash).
/// </summary>
internal static partial class DurableReplace
{
    private const uint MoveFileReplaceExisting = 0x1;
    private const uint MoveFileWriteThrough = 0x8;
    private const int OpenReadOnly = 0;
    private const int InvalidArgument = 22;

    public static void Replace(string source, string destination)
    {
        if (OperatingSystem.IsWindows())
        {
            if (!MoveFileEx(source, destination, MoveFileReplaceExisting | MoveFileWriteThrough))
            {
                throw new IOException($"Replacing {destination} with {source} failed.", new Win32Exception(Marshal.GetLastPInvokeError()));
            }

            return;
        }

        File.Move(source, destination, overwrite: true);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
    }

    private static void FlushDirectory(string directory)
    {
        var descriptor = Open(directory, OpenReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"Opening directory {directory} to flush the rename failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            // A file system that can't flush a directory says EINVAL; there the rename is as durable as it gets.
            if (FSync(descriptor) != 0 && Marshal.GetLastPInvokeError() is var error && error != InvalidArgument)
            {
                throw new IOException($"Flushing directory {directory} after the rename failed (errno {error}).");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("kernel32.dll", EntryPoint = "MoveFileExW", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool MoveFileEx(string existingFileName, string newFileName, uint flags);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
