namespace GpuAutomation.Functions.Hosting;

/// <summary>Where refused messages are recorded. The host can't dead-letter with a reason, so this is the record.</summary>
public interface IRejectedMessageLog
{
    Task RecordAsync(RejectedMessage rejected, CancellationToken cancellationToken);

    /// <summary>The most recent rejections, newest first.</summary>
    Task<IReadOnlyList<RejectedMessage>> RecentAsync(int limit, CancellationToken cancellationToken);
}
