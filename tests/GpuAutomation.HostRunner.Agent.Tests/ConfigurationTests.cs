using GpuAutomation.HostRunner.Configuration;
using Microsoft.Extensions.Configuration;

namespace GpuAutomation.HostRunner.Agent.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void Every_problem_is_reported_at_once_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Node"] = "node_1",
            ["Bus"] = "Endpoint=not a url",
            ["ShutdownTimeout"] = "soon",
        }).Build();

        var e = Assert.Throws<HostRunnerConfigurationException>(() => HostRunnerOptions.From(configuration));

        Assert.Contains(e.Problems, p => p.StartsWith("Node 'node_1'", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("Cluster is required", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("Bus:", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("ShutdownTimeout 'soon'", StringComparison.Ordinal));
        Assert.Equal(4, e.Problems.Count);
    }

    [Theory]
    [InlineData("amqp://guest:guest@127.0.0.1:5672")]
    [InlineData("Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=agent;SharedAccessKey=a2V5")]
    [InlineData("Endpoint=sb://ns1.servicebus.windows.net/")]
    public void The_three_bus_forms_are_accepted_and_times_read_as_seconds_or_timespans(string bus)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Node"] = "node1",
            ["Cluster"] = "cluster1",
            ["Bus"] = bus,
            ["ShutdownTimeout"] = "90",
            ["InventoryInterval"] = "00:02:00",
        }).Build();

        var options = HostRunnerOptions.From(configuration);

        Assert.Equal(TimeSpan.FromSeconds(90), options.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.InventoryInterval);
    }
}
