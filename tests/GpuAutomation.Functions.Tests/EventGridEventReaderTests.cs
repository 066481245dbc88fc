using System.Text.Json;
using GpuAutomation.Functions.Hosting;

namespace GpuAutomation.Functions.Tests;

/// <summary>
/// The event fields the core receives but doesn't act on yet (time, correlation id, source), read from both schemas;
/// what the core does with the rest is asserted end to end in <see cref="HostProtocolTests"/>.
/// </summary>
public sealed class EventGridEventReaderTests
{
    [Fact]
    public void An_event_grid_schema_event_is_read_with_every_field()
    {
        var read = EventGridEventReader.Read(Parse(Payloads.VmInstanceWriteEvent().ToJsonString()), out var problem);

        Assert.Null(problem);
        Assert.NotNull(read);
        Assert.Equal("8b9c1d2e-0000-4000-8000-000000000001", read.Id);
        Assert.True(read.IsAzureLocalVmInstanceWrite);
        Assert.Equal("Succeeded", read.Status);
        Assert.Equal("corr-1", read.CorrelationId);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero).AddTicks(1234567), read.Time);
        Assert.Contains("Microsoft.HybridCompute/machines/vm-gpu-01", read.Subject, StringComparison.Ordinal);
        Assert.Equal("/subscriptions/00000000-0000-0000-0000-000000000001", read.Source);
    }

    [Fact]
    public void A_cloud_event_is_read_with_its_source_and_time()
    {
        var read = EventGridEventReader.Read(Parse(Payloads.VmInstanceWriteCloudEvent().ToJsonString()), out var problem);

        Assert.Null(problem);
        Assert.NotNull(read);
        Assert.Equal("ce-1", read.Id);
        Assert.True(read.IsAzureLocalVmInstanceWrite);
        Assert.Equal("/subscriptions/00000000-0000-0000-0000-000000000001", read.Source);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero), read.Time);
    }

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
