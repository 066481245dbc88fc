using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using GpuAutomation.Contracts.Commands;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.Testing;

namespace GpuAutomation.Contracts.Tests;

public sealed class MessageCodecRoundTripTests
{
    public static TheoryData<string> Types => new(MessageTypes.AllCommands.Concat(MessageTypes.AllReports));

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_type_survives_a_round_trip_unchanged(string type)
    {
        var original = SampleMessages.Sample(type);

        var encoded = MessageCodec.Encode(original);
        var decoded = MessageCodec.Decode(encoded);

        Assert.Equal(original.Envelope, decoded.Envelope);
        Assert.Equal(original.Body.GetType(), decoded.Body.GetType());
        Assert.Equal(Encoding.UTF8.GetString(encoded), Encoding.UTF8.GetString(MessageCodec.Encode(decoded)));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Every_type_matches_its_golden_json(string type)
    {
        var actual = Indented(MessageCodec.Encode(SampleMessages.Sample(type)));
        var goldenPath = Path.Combine(AppContext.BaseDirectory, "Golden", type + ".json");

        if (Environment.GetEnvironmentVariable("GPUAUTO_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(RepositoryPaths.Combine("tests", "GpuAutomation.Contracts.Tests", "Golden", type + ".json"), actual);
        }

        Assert.True(File.Exists(goldenPath), $"No golden sample for {type}; run with GPUAUTO_UPDATE_GOLDEN=1 once and review it.");
        Assert.Equal(File.ReadAllText(goldenPath).ReplaceLineEndings("\n"), actual);
    }

    [Fact]
    public void A_move_result_carries_its_placement_and_matches_its_golden_json()
    {
        var actual = Indented(MessageCodec.Encode(SampleMessages.MoveResult));
        const string Name = "CommandResult-MoveVm.json";
        if (Environment.GetEnvironmentVariable("GPUAUTO_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(RepositoryPaths.Combine("tests", "GpuAutomation.Contracts.Tests", "Golden", Name), actual);
        }

        var golden = Path.Combine(AppContext.BaseDirectory, "Golden", Name);
        Assert.True(File.Exists(golden), $"No golden sample {Name}; run with GPUAUTO_UPDATE_GOLDEN=1 once and review it.");
        Assert.Equal(File.ReadAllText(golden).ReplaceLineEndings("\n"), actual);
        var decoded = Assert.IsType<CommandResult>(MessageCodec.Decode(File.ReadAllBytes(golden)).Body);
        Assert.Equal(MoveMethod.StopMoveStart, decoded.Placement!.Method);
        Assert.Equal("node2", decoded.Placement.Node);
    }

    [Fact]
    public void A_command_result_without_a_placement_still_decodes()
    {
        var golden = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", MessageTypes.CommandResult + ".json"));
        var withoutField = System.Text.Json.Nodes.JsonNode.Parse(golden)!;
        withoutField["body"]!.AsObject().Remove("placement");

        var decoded = Assert.IsType<CommandResult>(MessageCodec.Decode(Encoding.UTF8.GetBytes(withoutField.ToJsonString())).Body);

        Assert.Null(decoded.Placement);
    }

    [Fact]
    public void Golden_json_is_read_as_the_sample()
    {
        var golden = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", MessageTypes.AssignPartition + ".json"));

        var message = MessageCodec.Decode(golden);

        var assign = Assert.IsType<AssignPartition>(message.Body);
        Assert.Equal("gpu-vm-01", assign.VmName);
        Assert.Equal(SampleMessages.GpuPath, assign.GpuInstancePath);
        Assert.Equal(Inventory.OfflineAction.ForceShutdown, assign.OfflineAction);
        Assert.Equal("req-0001", message.Envelope.CorrelationId);
        Assert.Equal(SampleMessages.IssuedAt.AddMinutes(15), message.Envelope.ExpiresAt);
    }

    [Fact]
    public void Unsigned_64_bit_resources_keep_their_full_range()
    {
        var snapshot = (InventorySnapshot)MessageCodec.Decode(MessageCodec.Encode(SampleMessages.Sample(MessageTypes.InventorySnapshot))).Body;

        Assert.Equal(ulong.MaxValue, snapshot.Inventory.Gpus[0].Resources!.Encode.Total);
    }

    [Fact]
    public void Optional_command_fields_default_when_absent()
    {
        var json = """
            {"messageId":"m1","correlationId":null,"messageType":"AssignPartition","schemaVersion":1,"cluster":"c1","node":"n1",
             "issuedAt":"2026-11-24T09:30:00+00:00","expiresAt":null,"body":{"vmName":"vm 1"}}
            """;

        var assign = Assert.IsType<AssignPartition>(MessageCodec.Decode(Encoding.UTF8.GetBytes(json)).Body);

        Assert.Null(assign.VmId);
        Assert.Null(assign.GpuInstancePath);
        Assert.Equal(Inventory.OfflineAction.ForceShutdown, assign.OfflineAction);
        Assert.Equal(PowerAfterChange.RestorePrevious, assign.PowerAfter);
    }

    private static string Indented(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.RootElement.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    [Fact]
    public void An_inventory_from_an_agent_before_driver_and_iov_still_parses()
    {
        // The golden snapshot as agents sent it before they read IOVSupport, the OS edition and the GPU driver.
        var legacy = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "Legacy", "InventorySnapshot-before-driver-and-iov.json"));

        var snapshot = Assert.IsType<InventorySnapshot>(MessageCodec.Decode(legacy).Body);

        Assert.True(snapshot.Inventory.Host.SriovSupported);
        Assert.Null(snapshot.Inventory.Host.IovSupport);
        Assert.Null(snapshot.Inventory.Host.OsSku);
        Assert.Null(snapshot.Inventory.Host.GpuPPrerequisiteProblems);
        Assert.Null(snapshot.Inventory.Gpus[0].Driver);
    }

    [Fact]
    public void Driver_iov_and_os_facts_survive_the_wire()
    {
        var snapshot = (InventorySnapshot)MessageCodec.Decode(MessageCodec.Encode(SampleMessages.Sample(MessageTypes.InventorySnapshot))).Body;

        Assert.Equal(new GpuDriver("32.0.15.5324", "NVIDIA", "553.24", "Host VGPU", "SR-IOV"), snapshot.Inventory.Gpus[0].Driver);
        Assert.Equal((true, 406, "Microsoft Azure Stack HCI"), (snapshot.Inventory.Host.IovSupport, snapshot.Inventory.Host.OsSku, snapshot.Inventory.Host.OsCaption));
        Assert.Empty(snapshot.Inventory.Host.GpuPPrerequisiteProblems!);
    }
}
