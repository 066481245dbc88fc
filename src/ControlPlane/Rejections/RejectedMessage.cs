namespace GpuAutomation.ControlPlane.Rejections;

/// <summary>An incoming message or event that can never be processed, kept so an operator can see what was refused and why.</summary>
/// <param name="Trigger">The function or local consumer that received it.</param>
/// <param name="MessageId">The broker or event id, when the payload had one.</param>
/// <param name="Code">A stable code: one of MessageFormatErrors or of the host's invocation rejection codes.</param>
/// <param name="Reason">What was wrong, naming the values.</param>
/// <param name="Excerpt">The start of the payload as text (at most <see cref="MaxExcerptLength"/> characters).</param>
public sealed record RejectedMessage(
    string Trigger,
    string? MessageId,
    string Code,
    string Reason,
    DateTimeOffset RejectedAt,
    string Excerpt)
{
    public const int MaxExcerptLength = 1024;
}
