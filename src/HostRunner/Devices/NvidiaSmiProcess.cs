using System.ComponentModel;
using System.Diagnostics;

namespace GpuAutomation.HostRunner.Devices;

/// <summary>
/// Runs <c>nvidia-smi -q -x</c> (found on PATH; NVIDIA's Windows drivers install it with the driver). Read-only: the
/// query options change nothing on the GPU. A missing tool is null, a tool that fails or hangs past the timeout is an
/// error the caller reports without failing the inventory.
/// </summary>
public sealed class NvidiaSmiProcess(TimeSpan? timeout = null) : INvidiaSmi
{
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(30);

    public async Task<string?> QueryXmlAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("nvidia-smi")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        start.ArgumentList.Add("-q");
        start.ArgumentList.Add("-x");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new NvidiaSmiException("nvidia-smi did not start.");
        }
        catch (Win32Exception)
        {
            return null;
        }

        using (process)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(_timeout);
            try
            {
                var output = process.StandardOutput.ReadToEndAsync(deadline.Token);
                var errors = process.StandardError.ReadToEndAsync(deadline.Token);
                await process.WaitForExitAsync(deadline.Token);
                return process.ExitCode == 0
                    ? await output
                    : throw new NvidiaSmiException($"nvidia-smi -q -x exited with {process.ExitCode}: {(await errors).Trim()}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new NvidiaSmiException($"nvidia-smi -q -x did not finish within {_timeout.TotalSeconds:0} s.");
            }
        }
    }
}
