using GpuAutomation.Contracts.Reports;

namespace GpuAutomation.ControlPlane.Inventory;

/// <summary>
/// Which of a node's snapshots is the newer (issue 16, item 4): not by the host's wall clock alone, which may be
/// corrected backwards. Within one agent start, the agent's sequence number decides; a snapshot of another start
/// replaces the stored one (a restarted agent numbers afresh, and its clock may have been corrected at the restart);
/// snapshots of agents that stamp neither are ordered by <see cref="NodeInventory.TakenAt"/>, as before. Timestamps
/// far ahead of the control plane's clock never get here (the intake refuses them as clock-skew).
/// </summary>
public static class SnapshotOrder
{
    public static bool IsNewer(NodeInventory candidate, NodeInventory? stored)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        if (stored is null)
        {
            return true;
        }

        if (candidate.AgentStart is { } start && candidate.Sequence is { } sequence)
        {
            return start == stored.AgentStart && stored.Sequence is { } storedSequence
                ? sequence > storedSequence
                : start != stored.AgentStart || candidate.TakenAt > stored.TakenAt;
        }

        return candidate.TakenAt > stored.TakenAt;
    }
}
