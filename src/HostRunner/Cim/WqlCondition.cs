namespace GpuAutomation.HostRunner.Cim;

/// <summary>One escaped <c>Property = literal</c> (or LIKE) term; made only by <see cref="Wql"/>.</summary>
public sealed record WqlCondition
{
    internal WqlCondition(string property, string literal, bool isLike)
    {
        Property = property;
        Literal = literal;
        IsLike = isLike;
    }

    public string Property { get; }

    public string Literal { get; }

    public bool IsLike { get; }
}
