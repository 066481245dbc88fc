using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// DMTF CIM-XML for the embedded instances that AddResourceSettings, ModifyResourceSettings and ModifySystemSettings
/// take as strings: <c>&lt;INSTANCE CLASSNAME="..."&gt;&lt;PROPERTY NAME=".." TYPE=".."&gt;&lt;VALUE&gt;..&lt;/VALUE&gt;...</c>.
/// Written by hand (as public MI-based code does) so it is the same on every OS and testable against golden strings.
/// Properties are written in name order; NULL properties are written without a VALUE so Hyper-V leaves them unset.
/// References are written as strings holding the WMI path, which is how Hyper-V's HostResource carries them.
/// </summary>
public static class CimXml
{
    public static string Write(CimInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var settings = new XmlWriterSettings { OmitXmlDeclaration = true, Indent = false, ConformanceLevel = ConformanceLevel.Fragment };
        var text = new StringBuilder();
        using (var writer = XmlWriter.Create(text, settings))
        {
            WriteInstance(writer, instance);
        }

        return text.ToString();
    }

    /// <summary>Reads an embedded instance; <paramref name="keyNames"/> says which properties are keys (CIM-XML doesn't).</summary>
    public static CimInstance Read(string xml, string ns, IEnumerable<string> keyNames)
    {
        XElement root;
        try
        {
            root = XElement.Parse(xml, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new CimException(CimErrors.MalformedXml, $"The embedded instance is not well-formed XML: {e.Message}", null, e);
        }

        return ReadInstance(root, ns, keyNames);
    }

    private static void WriteInstance(XmlWriter writer, CimInstance instance)
    {
        writer.WriteStartElement("INSTANCE");
        writer.WriteAttributeString("CLASSNAME", instance.ClassName);
        foreach (var (name, value) in instance.Properties)
        {
            switch (value)
            {
                case CimValue.UInt16Array a:
                    WriteArray(writer, name, "uint16", a.Value.Select(v => v.ToString(CultureInfo.InvariantCulture)));
                    break;
                case CimValue.TextArray a:
                    WriteArray(writer, name, "string", a.Value);
                    break;
                case CimValue.ReferenceArray a:
                    WriteArray(writer, name, "string", a.Value.Select(p => p.ToWmiPath()));
                    break;
                case CimValue.Instance embedded:
                    writer.WriteStartElement("PROPERTY");
                    writer.WriteAttributeString("NAME", name);
                    writer.WriteAttributeString("TYPE", "string");
                    writer.WriteAttributeString("EmbeddedObject", "instance");
                    writer.WriteElementString("VALUE", Write(embedded.Value));
                    writer.WriteEndElement();
                    break;
                default:
                    writer.WriteStartElement("PROPERTY");
                    writer.WriteAttributeString("NAME", name);
                    writer.WriteAttributeString("TYPE", TypeName(value));
                    if (value is not null)
                    {
                        writer.WriteElementString("VALUE", value.ToInvariantString());
                    }

                    writer.WriteEndElement();
                    break;
            }
        }

        writer.WriteEndElement();
    }

    private static void WriteArray(XmlWriter writer, string name, string type, IEnumerable<string> values)
    {
        writer.WriteStartElement("PROPERTY.ARRAY");
        writer.WriteAttributeString("NAME", name);
        writer.WriteAttributeString("TYPE", type);
        writer.WriteStartElement("VALUE.ARRAY");
        foreach (var value in values)
        {
            writer.WriteElementString("VALUE", value);
        }

        writer.WriteEndElement();
        writer.WriteEndElement();
    }

    private static string TypeName(CimValue? value) => value switch
    {
        null or CimValue.Text or CimValue.Reference => "string",
        CimValue.Boolean => "boolean",
        CimValue.UInt16 => "uint16",
        CimValue.UInt32 => "uint32",
        CimValue.UInt64 => "uint64",
        CimValue.SInt32 => "sint32",
        CimValue.DateTime => "datetime",
        _ => throw new CimException(CimErrors.TypeMismatch, $"A {value.GetType().Name} can't be written as a CIM-XML scalar."),
    };

    private static CimInstance ReadInstance(XElement root, string ns, IEnumerable<string> keyNames)
    {
        if (root.Name.LocalName != "INSTANCE" || root.Attribute("CLASSNAME")?.Value is not { Length: > 0 } className)
        {
            throw new CimException(CimErrors.MalformedXml, $"Expected <INSTANCE CLASSNAME=\"...\">, found <{root.Name.LocalName}>.");
        }

        var properties = new List<KeyValuePair<string, CimValue?>>();
        foreach (var element in root.Elements())
        {
            var name = element.Attribute("NAME")?.Value;
            var type = element.Attribute("TYPE")?.Value;
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(type))
            {
                throw new CimException(CimErrors.MalformedXml, $"<{element.Name.LocalName}> in {className} lacks NAME or TYPE.");
            }

            CimValue? value = element.Name.LocalName switch
            {
                "PROPERTY" when element.Attribute("EmbeddedObject") is not null && element.Element("VALUE") is { } v
                    => new CimValue.Instance(Read(v.Value, ns, [])),
                "PROPERTY" => element.Element("VALUE") is { } v ? Scalar(className, name, type, v.Value) : null,
                "PROPERTY.ARRAY" => ArrayValue(className, name, type, element),
                _ => throw new CimException(CimErrors.MalformedXml, $"<{element.Name.LocalName}> is not a CIM-XML property element."),
            };
            properties.Add(new(name, value));
        }

        return new CimInstance(ns, className, properties, keyNames);
    }

    private static CimValue? ArrayValue(string className, string name, string type, XElement element)
    {
        if (element.Element("VALUE.ARRAY") is not { } array)
        {
            return null;
        }

        var values = array.Elements("VALUE").Select(v => v.Value).ToList();
        return type switch
        {
            "string" => new CimValue.TextArray(values),
            "uint16" => new CimValue.UInt16Array([.. values.Select(v => ushort.Parse(v, CultureInfo.InvariantCulture))]),
            _ => throw new CimException(CimErrors.TypeMismatch, $"{className}.{name}: arrays of {type} are not supported."),
        };
    }

    private static CimValue Scalar(string className, string name, string type, string text)
    {
        try
        {
            return type switch
            {
                "string" => new CimValue.Text(text),
                "boolean" => new CimValue.Boolean(bool.Parse(text)),
                "uint16" => new CimValue.UInt16(ushort.Parse(text, CultureInfo.InvariantCulture)),
                "uint32" => new CimValue.UInt32(uint.Parse(text, CultureInfo.InvariantCulture)),
                "uint64" => new CimValue.UInt64(ulong.Parse(text, CultureInfo.InvariantCulture)),
                "sint32" => new CimValue.SInt32(int.Parse(text, CultureInfo.InvariantCulture)),
                "datetime" => new CimValue.DateTime(DateTimeOffset.Parse(text, CultureInfo.InvariantCulture)),
                _ => throw new CimException(CimErrors.TypeMismatch, $"{className}.{name}: CIM type {type} is not supported."),
            };
        }
        catch (FormatException e)
        {
            throw new CimException(CimErrors.MalformedXml, $"{className}.{name}: '{text}' is not a valid {type}.", null, e);
        }
        catch (OverflowException e)
        {
            throw new CimException(CimErrors.MalformedXml, $"{className}.{name}: '{text}' is out of range for {type}.", null, e);
        }
    }
}
