namespace GpuAutomation.Contracts.Messaging;

/// <summary>Collects the first out-of-range value of a message body, with the field that holds it.</summary>
public sealed class FieldCheck
{
    public string? Problem { get; private set; }

    public void That(bool condition, string field, string message)
    {
        if (!condition && Problem is null)
        {
            Problem = $"{field}: {message}";
        }
    }

    public void Name(string? value, string field, int maxLength)
    {
        That(!string.IsNullOrWhiteSpace(value), field, "must not be empty");
        That(value is null || value.Length <= maxLength, field, $"must be at most {maxLength} characters");
        That(value is null || !value.Any(char.IsControl), field, "must not contain control characters");
    }

    public void Defined<TEnum>(TEnum value, string field)
        where TEnum : struct, Enum
        => That(Enum.IsDefined(value), field, $"'{value}' is not a valid {typeof(TEnum).Name}");
}
