using System.Globalization;
using GpuAutomation.EndToEnd.Tests.Processes;

namespace GpuAutomation.EndToEnd.Tests;

/// <summary>The README's main command, run as a user runs it: the Sandbox's --scenario in its own process.</summary>
public sealed class SandboxScenarioTests
{
    [Fact]
    public async Task The_scenario_plays_every_step_as_expected_and_exits_0()
    {
        var port = FreePort.Next();
        await using var sandbox = TestProcess.Start("sandbox", BuiltApps.Sandbox, ["--scenario", "--port", port.ToString(CultureInfo.InvariantCulture)]);

        Assert.True(await sandbox.WaitForExitAsync(TimeSpan.FromMinutes(3)), "the scenario did not finish in 3 minutes" + Environment.NewLine + sandbox.Describe());
        Assert.True(sandbox.ExitCode == 0, $"exit code {sandbox.ExitCode}{Environment.NewLine}{sandbox.Describe()}");
        var output = sandbox.Output;
        Assert.Contains("Scenario passed: 8 of 8 steps as expected.", output, StringComparison.Ordinal);

        // The final inventory table: the policy-provisioned VM holds its partition and runs with forced shutdown;
        // the VM assigned through the API and then unassigned holds none and still runs.
        Assert.Equal(["vdi-03", "node1", "Running", "1", "ForceShutdown"], Row(output, "vdi-03"));
        Assert.Equal(["render-01", "node2", "Running", "0", "ForceShutdown"], Row(output, "render-01"));
        Assert.Contains("409 vm-has-partition", output, StringComparison.Ordinal);
    }

    /// <summary>The cells of the VMs table row of <paramref name="vm"/>.</summary>
    private static string[] Row(string output, string vm)
    {
        var line = output.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith($"│ {vm} ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no table row for {vm} in:{Environment.NewLine}{output}");
        return [.. line.Split('│', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(c => c.Length > 0)];
    }
}
