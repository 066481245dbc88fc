namespace GpuAutomation.HostRunner.Simulation;

/// <summary>The faults injected into an emulated cluster; thread-safe.</summary>
public sealed class EmulatedFaults
{
    private readonly Lock _gate = new();
    private readonly List<(EmulatedFault Fault, int? Left, int Skip)> _faults = [];

    public void Add(EmulatedFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_gate)
        {
            _faults.Add((fault, fault.Times, fault.Skip));
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _faults.Clear();
        }
    }

    /// <summary>The first fault matching the call, consuming one of its <see cref="EmulatedFault.Times"/>.</summary>
    internal EmulatedFault? Take(string node, string operation, string className, Func<EmulatedFaultKind, bool> kinds)
    {
        lock (_gate)
        {
            for (var i = 0; i < _faults.Count; i++)
            {
                var (fault, left, skip) = _faults[i];
                if (!string.Equals(fault.Operation, operation, StringComparison.OrdinalIgnoreCase)
                    || (fault.ClassName is not null && !string.Equals(fault.ClassName, className, StringComparison.OrdinalIgnoreCase))
                    || (fault.Node is not null && !string.Equals(fault.Node, node, StringComparison.OrdinalIgnoreCase))
                    || !kinds(fault.Kind))
                {
                    continue;
                }

                if (skip > 0)
                {
                    // Lets the first matching calls through, e.g. to fail the poll after a call rather than the call.
                    _faults[i] = (fault, left, skip - 1);
                    return null;
                }

                if (left is { } n)
                {
                    if (n <= 1)
                    {
                        _faults.RemoveAt(i);
                    }
                    else
                    {
                        _faults[i] = (fault, n - 1, 0);
                    }
                }

                return fault;
            }

            return null;
        }
    }
}
