namespace GpuAutomation.Functions.Hosting;

/// <summary>Keeps the latest rejections in memory (local runs, the Sandbox, tests); bounded so a flood can't exhaust memory.</summary>
public sealed class InMemoryRejectedMessageLog : IRejectedMessageLog
{
    public const int Capacity = 1000;

    private readonly LinkedList<RejectedMessage> _entries = new();
    private readonly Lock _gate = new();

    public Task RecordAsync(RejectedMessage rejected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        lock (_gate)
        {
            _entries.AddFirst(rejected);
            if (_entries.Count > Capacity)
            {
                _entries.RemoveLast();
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RejectedMessage>> RecentAsync(int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<RejectedMessage>>([.. _entries.Take(limit)]);
        }
    }
}
