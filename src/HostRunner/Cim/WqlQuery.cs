namespace GpuAutomation.HostRunner.Cim;

/// <summary>A WQL text that was built by <see cref="Wql"/>: the type keeps unescaped strings out of the seam.</summary>
public sealed record WqlQuery
{
    internal WqlQuery(string text, string className)
    {
        Text = text;
        ClassName = className;
    }

    public string Text { get; }

    /// <summary>The class queried: what telemetry names the query by (the text holds values, e.g. VM names).</summary>
    public string ClassName { get; }

    public override string ToString() => Text;
}
