namespace GpuAutomation.HostRunner.Cim;

/// <summary>A WQL text that was built by <see cref="Wql"/>: the type keeps unescaped strings out of the seam.</summary>
public sealed record WqlQuery
{
    internal WqlQuery(string text) => Text = text;

    public string Text { get; }

    public override string ToString() => Text;
}
