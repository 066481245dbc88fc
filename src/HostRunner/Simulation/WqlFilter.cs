using System.Text;
using System.Text.RegularExpressions;
using GpuAutomation.HostRunner.Cim;

namespace GpuAutomation.HostRunner.Simulation;

/// <summary>
/// The emulator's WQL: exactly the subset <see cref="Wql"/> writes — <c>SELECT * FROM Class [WHERE p = literal
/// [AND ...]]</c> with string, number and boolean literals and LIKE. Anything else (OR, NOT, other operators,
/// unterminated strings, trailing text) is refused with <see cref="CimErrors.InvalidQuery"/>, so an injection that
/// escaped the quoting would fail loudly instead of matching more.
/// </summary>
internal sealed record WqlFilter(string ClassName, IReadOnlyList<WqlFilter.Term> Terms)
{
    public static WqlFilter Parse(string text)
    {
        var tokens = Tokenize(text);
        var i = 0;
        Expect(tokens, ref i, "SELECT", text);
        Expect(tokens, ref i, "*", text);
        Expect(tokens, ref i, "FROM", text);
        var className = Identifier(tokens, ref i, text);
        var terms = new List<Term>();
        if (i < tokens.Count)
        {
            Expect(tokens, ref i, "WHERE", text);
            while (true)
            {
                var property = Identifier(tokens, ref i, text);
                var op = i < tokens.Count ? tokens[i++] : null;
                var like = op is { IsLiteral: false } && op.Text.Equals("LIKE", StringComparison.OrdinalIgnoreCase);
                if (op is null || op.IsLiteral || (op.Text != "=" && !like))
                {
                    throw Invalid(text, $"expected = or LIKE after {property}");
                }

                if (i >= tokens.Count)
                {
                    throw Invalid(text, "expected a value");
                }

                var value = tokens[i++];
                if (!value.IsLiteral && !value.Text.Equals("TRUE", StringComparison.OrdinalIgnoreCase)
                    && !value.Text.Equals("FALSE", StringComparison.OrdinalIgnoreCase)
                    && !value.Text.All(char.IsAsciiDigit))
                {
                    throw Invalid(text, $"'{value.Text}' is not a literal");
                }

                if (like && !value.IsLiteral)
                {
                    throw Invalid(text, "LIKE needs a string pattern");
                }

                terms.Add(new Term(property, value.IsLiteral ? value.Text : value.Text.ToUpperInvariant(), like));
                if (i >= tokens.Count)
                {
                    break;
                }

                Expect(tokens, ref i, "AND", text);
            }
        }

        return new WqlFilter(className, terms);
    }

    public bool Matches(CimInstance instance) => Terms.All(t => t.Matches(instance));

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == ' ')
            {
                i++;
            }
            else if (c == '\'')
            {
                var literal = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw Invalid(text, "unterminated string");
                    }

                    if (text[i] == '\\')
                    {
                        if (i + 1 >= text.Length || text[i + 1] is not ('\\' or '\''))
                        {
                            throw Invalid(text, "bad escape in string");
                        }

                        literal.Append(text[i + 1]);
                        i += 2;
                    }
                    else if (text[i] == '\'')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        literal.Append(text[i++]);
                    }
                }

                tokens.Add(new Token(literal.ToString(), true));
            }
            else if (c is '*' or '=')
            {
                tokens.Add(new Token(c.ToString(), false));
                i++;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(text[start..i], false));
            }
            else
            {
                throw Invalid(text, $"unexpected '{c}'");
            }
        }

        return tokens;
    }

    private static void Expect(List<Token> tokens, ref int i, string keyword, string text)
    {
        if (i >= tokens.Count || tokens[i].IsLiteral || !tokens[i].Text.Equals(keyword, StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid(text, $"expected {keyword}{(i < tokens.Count ? $" at '{tokens[i].Text}'" : " at the end")}");
        }

        i++;
    }

    private static string Identifier(List<Token> tokens, ref int i, string text)
    {
        if (i >= tokens.Count || tokens[i].IsLiteral || !char.IsAsciiLetter(tokens[i].Text[0]))
        {
            throw Invalid(text, "expected a name");
        }

        return tokens[i++].Text;
    }

    private static CimException Invalid(string text, string why)
        => new(CimErrors.InvalidQuery, $"The emulator can't run the WQL '{text}': {why}.");

    internal sealed record Term(string Property, string Value, bool IsLike)
    {
        public bool Matches(CimInstance instance)
        {
            var actual = instance.Get(Property);
            if (actual is null or CimValue.Instance or CimValue.UInt16Array or CimValue.TextArray or CimValue.ReferenceArray)
            {
                return false;
            }

            var text = actual.ToInvariantString();
            return IsLike
                ? LikePattern(Value).IsMatch(text)
                : string.Equals(text, Value, StringComparison.OrdinalIgnoreCase);
        }

        private static Regex LikePattern(string pattern)
        {
            var regex = new StringBuilder("^");
            for (var i = 0; i < pattern.Length; i++)
            {
                var c = pattern[i];
                if (c == '%')
                {
                    regex.Append(".*");
                }
                else if (c == '_')
                {
                    regex.Append('.');
                }
                else if (c == '[' && pattern.IndexOf(']', i) is var end and > 0)
                {
                    regex.Append(Regex.Escape(pattern[(i + 1)..end]));
                    i = end;
                }
                else
                {
                    regex.Append(Regex.Escape(c.ToString()));
                }
            }

            return new Regex(regex.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        }
    }

    private sealed record Token(string Text, bool IsLiteral);
}
