namespace GpuAutomation.HostRunner.Simulation;

/// <summary>The faults injected into an emulated cluster; thread-safe.</summary>
public sealed class EmulatedFaults
{
    private readonly Lock gate = new();
    private readonly List<(EmulatedFault Fault, int? Left)> faults = [];

    public void Add(EmulatedFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (gate)
        {
            faults.Add((fault, fault.Times));
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            faults.Clear();
        }
    }

    /// <summary>The first fault matching the call, consuming one of its <see cref="EmulatedFault.Times"/>.</summary>
    internal EmulatedFault? Take(string node, string operation, string className, Func<EmulatedFaultKind, bool> kinds)
    {
        lock (gate)
        {
            for (var i = 0; i < faults.Count; i++)
            {
                var (fault, left) = faults[i];
                if (!string.Equals(fault.Operation, operation, StringComparison.OrdinalIgnoreCase)
                    || (fault.ClassName is not null && !string.Equals(fault.ClassName, className, StringComparison.OrdinalIgnoreCase))
                    || (fault.Node is not null && !string.Equals(fault.Node, node, StringComparison.OrdinalIgnoreCase))
                    || !kinds(fault.Kind))
                {
                    continue;
                }

                if (left is { } n)
                {
                    if (n <= 1)
                    {
                        faults.RemoveAt(i);
                    }
                    else
                    {
                        faults[i] = (fault, n - 1);
                    }
                }

                return fault;
            }

            return null;
        }
    }
}
