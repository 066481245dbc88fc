using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace GpuAutomation.HostRunner.Cim;

/// <summary>
/// DMTF CIM-XML (CIM-DTD 2.0, the form WMI's own serializer writes with GetText(1)) for the embedded instances that
/// AddResourceSettings, ModifyResourceSettings and ModifySystemSettings take as strings:
/// <c>&lt;INSTANCE CLASSNAME="..."&gt;&lt;PROPERTY NAME=".." TYPE=".."&gt;&lt;VALUE&gt;..&lt;/VALUE&gt;...</c>.
/// Every property keeps its declared CIM type (a NULL uint64 is <c>TYPE="uint64"</c> with no VALUE; a NULL with no
/// known type is omitted), arrays are <c>PROPERTY.ARRAY</c> (also when NULL), datetimes and intervals are in DMTF
/// form (reference/hyperv-wmi.md; fidelity audit rows 23 and 24). Written by hand so it is the same on every OS and
/// testable against golden strings; properties in name order.
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
            if (instance.TypeOf(name) is not { } type)
            {
                continue;
            }

            if (ElementTypeName(type) is { } elementType)
            {
                writer.WriteStartElement("PROPERTY.ARRAY");
                writer.WriteAttributeString("NAME", name);
                writer.WriteAttributeString("TYPE", elementType);
                if (value is not null)
                {
                    writer.WriteStartElement("VALUE.ARRAY");
                    foreach (var item in ArrayItems(instance.ClassName, name, value))
                    {
                        writer.WriteElementString("VALUE", item);
                    }

                    writer.WriteEndElement();
                }

                writer.WriteEndElement();
                continue;
            }

            writer.WriteStartElement("PROPERTY");
            writer.WriteAttributeString("NAME", name);
            writer.WriteAttributeString("TYPE", type == CimType.Instance ? "string" : ScalarTypeName(instance.ClassName, name, type));
            if (type == CimType.Instance)
            {
                writer.WriteAttributeString("EmbeddedObject", "instance");
            }

            switch (value)
            {
                case null:
                    break;
                case CimValue.Instance embedded:
                    writer.WriteElementString("VALUE", Write(embedded.Value));
                    break;
                default:
                    writer.WriteElementString("VALUE", value.ToInvariantString());
                    break;
            }

            writer.WriteEndElement();
        }

        writer.WriteEndElement();
    }

    private static IEnumerable<string> ArrayItems(string className, string name, CimValue value) => value switch
    {
        CimValue.UInt16Array a => a.Value.Select(v => v.ToString(CultureInfo.InvariantCulture)),
        CimValue.TextArray a => a.Value,
        _ => throw new CimException(CimErrors.TypeMismatch, $"{className}.{name}: a {value.GetType().Name} can't be written as a CIM-XML array."),
    };

    private static string? ElementTypeName(CimType type) => type switch
    {
        CimType.BooleanArray => "boolean",
        CimType.UInt8Array => "uint8",
        CimType.UInt16Array => "uint16",
        CimType.UInt32Array => "uint32",
        CimType.UInt64Array => "uint64",
        CimType.StringArray => "string",
        CimType.DateTimeArray => "datetime",
        // Hyper-V's settings carry object paths in string arrays (HostResource); a REF array has no place in them.
        CimType.ReferenceArray or CimType.InstanceArray => throw new CimException(CimErrors.TypeMismatch, $"A {type} property can't be written into an embedded instance."),
        _ => null,
    };

    private static string ScalarTypeName(string className, string name, CimType type) => type switch
    {
        CimType.Boolean => "boolean",
        CimType.UInt8 => "uint8",
        CimType.UInt16 => "uint16",
        CimType.UInt32 => "uint32",
        CimType.UInt64 => "uint64",
        CimType.SInt8 => "sint8",
        CimType.SInt16 => "sint16",
        CimType.SInt32 => "sint32",
        CimType.SInt64 => "sint64",
        CimType.String => "string",
        CimType.Char16 => "char16",
        CimType.DateTime => "datetime",
        _ => throw new CimException(CimErrors.TypeMismatch, $"{className}.{name}: a {type} property can't be written into an embedded instance."),
    };

    private static CimType TypeOfName(string className, string name, string typeName, bool array) => (typeName, array) switch
    {
        ("boolean", false) => CimType.Boolean,
        ("uint8", false) => CimType.UInt8,
        ("uint16", false) => CimType.UInt16,
        ("uint32", false) => CimType.UInt32,
        ("uint64", false) => CimType.UInt64,
        ("sint8", false) => CimType.SInt8,
        ("sint16", false) => CimType.SInt16,
        ("sint32", false) => CimType.SInt32,
        ("sint64", false) => CimType.SInt64,
        ("string", false) => CimType.String,
        ("char16", false) => CimType.Char16,
        ("datetime", false) => CimType.DateTime,
        ("boolean", true) => CimType.BooleanArray,
        ("uint8", true) => CimType.UInt8Array,
        ("uint16", true) => CimType.UInt16Array,
        ("uint32", true) => CimType.UInt32Array,
        ("uint64", true) => CimType.UInt64Array,
        ("string", true) => CimType.StringArray,
        ("datetime", true) => CimType.DateTimeArray,
        _ => throw new CimException(CimErrors.TypeMismatch, $"{className}.{name}: CIM type {typeName}{(array ? "[]" : string.Empty)} is not supported."),
    };

    private static CimInstance ReadInstance(XElement root, string ns, IEnumerable<string> keyNames)
    {
        if (root.Name.LocalName != "INSTANCE" || root.Attribute("CLASSNAME")?.Value is not { Length: > 0 } className)
        {
            throw new CimException(CimErrors.MalformedXml, $"Expected <INSTANCE CLASSNAME=\"...\">, found <{root.Name.LocalName}>.");
        }

        var properties = new List<KeyValuePair<string, CimValue?>>();
        var types = new List<KeyValuePair<string, CimType>>();
        foreach (var element in root.Elements())
        {
            var name = element.Attribute("NAME")?.Value;
            var type = element.Attribute("TYPE")?.Value;
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(type))
            {
                throw new CimException(CimErrors.MalformedXml, $"<{element.Name.LocalName}> in {className} lacks NAME or TYPE.");
            }

            var embedded = element.Attribute("EmbeddedObject") is not null;
            CimValue? value = element.Name.LocalName switch
            {
                "PROPERTY" when embedded => element.Element("VALUE") is { } v ? new CimValue.Instance(Read(v.Value, ns, [])) : null,
                "PROPERTY" => element.Element("VALUE") is { } v ? Scalar(className, name, type, v.Value) : null,
                "PROPERTY.ARRAY" => ArrayValue(className, name, type, element),
                _ => throw new CimException(CimErrors.MalformedXml, $"<{element.Name.LocalName}> is not a CIM-XML property element."),
            };
            properties.Add(new(name, value));
            types.Add(new(name, embedded ? CimType.Instance : TypeOfName(className, name, type, element.Name.LocalName == "PROPERTY.ARRAY")));
        }

        return new CimInstance(ns, className, properties, keyNames, null, types);
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
                "uint8" or "uint16" => new CimValue.UInt16(ushort.Parse(text, CultureInfo.InvariantCulture)),
                "uint32" => new CimValue.UInt32(uint.Parse(text, CultureInfo.InvariantCulture)),
                "uint64" => new CimValue.UInt64(ulong.Parse(text, CultureInfo.InvariantCulture)),
                "sint8" or "sint16" or "sint32" => new CimValue.SInt32(int.Parse(text, CultureInfo.InvariantCulture)),
                "datetime" => CimValue.ParseDmtf(text) ?? throw new FormatException("not a DMTF datetime or interval"),
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
