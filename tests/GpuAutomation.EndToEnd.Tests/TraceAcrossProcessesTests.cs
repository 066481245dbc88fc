using System.Net;
using GpuAutomation.Sandbox.Scenario;
using Xunit.Abstractions;

namespace GpuAutomation.EndToEnd.Tests;

/// <summary>
/// One trace from the API call to the agent's CIM calls and back, across the control plane process and a HostRunner
/// process (issue 20): each writes its finished spans to a file, and the test joins them by trace id. The trace
/// crosses RabbitMQ in the messages' application properties (Diagnostic-Id/traceparent), nowhere else.
/// </summary>
[Collection(SharedBrokerCollection.Name)]
public sealed class TraceAcrossProcessesTests(TracedControlPlaneProcess controlPlane, ITestOutputHelper output) : IClassFixture<TracedControlPlaneProcess>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task An_assign_request_is_one_trace_from_the_API_through_the_agents_steps_to_the_result_intake()
    {
        var vm = $"traced-{controlPlane.RunId}";
        var cluster = $"e2e-{controlPlane.RunId}-e";
        await using var hosts = SimulatedHosts.Start(
            Description(cluster, vm),
            node => new Dictionary<string, string> { ["HOSTRUNNER_Telemetry__SpanFile"] = controlPlane.HostSpanFile(node) });
        await Eventually.WaitAsync(
            async () => await controlPlane.Api.GetInventoryAsync(cluster, CancellationToken.None) is { } view && hosts.Nodes.All(n => view.Nodes.Contains(n)) ? view : null,
            Wait,
            () => $"both nodes of {cluster} to report{Environment.NewLine}{Describe(hosts)}");

        var answer = await controlPlane.Api.PostAsync("api/partition-requests", $$"""{ "cluster": "{{cluster}}", "vm": "{{vm}}", "action": "assign" }""", CancellationToken.None);
        Assert.True(answer.Status == HttpStatusCode.Accepted, answer.Describe());
        var accepted = Assert.Single(RequestView.All(answer.Body!));
        var done = await Eventually.WaitAsync(
            async () => await controlPlane.Api.GetRequestAsync(accepted.Id, CancellationToken.None) is { IsTerminal: true } r ? r : null,
            Wait,
            () => $"request {accepted.Id} to finish{Environment.NewLine}{Describe(hosts)}");
        Assert.True(done.Is("Succeeded"), $"{done}{Environment.NewLine}{Describe(hosts)}");

        // GET shows the trace the request was accepted in: the id to search in Application Insights.
        var traceId = done.View.TraceId;
        Assert.False(string.IsNullOrEmpty(traceId), "GET /api/partition-requests/{id} shows no traceId");
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        var commandId = done.View.CommandId!;

        // The intake span ends after the request is stored as finished: wait until both sides wrote what they will.
        var (plane, agent) = await Eventually.WaitAsync(
            () =>
            {
                var planeSpans = SpanLine.ReadAll(controlPlane.SpanFile).Where(s => s.TraceId == traceId).ToList();
                var agentSpans = SpanLine.ReadAll(controlPlane.HostSpanFile("node1")).Where(s => s.TraceId == traceId).ToList();
                var complete = planeSpans.Any(s => s.Name == "report intake CommandResult")
                    && agentSpans.Any(s => s.Name == "execute AssignPartition");
                return Task.FromResult(complete ? Tuple.Create(planeSpans, agentSpans) : null);
            },
            TimeSpan.FromSeconds(30),
            () => $"the spans of trace {traceId}: control plane{Environment.NewLine}{string.Join(Environment.NewLine, SpanLine.ReadAll(controlPlane.SpanFile).Where(s => s.TraceId == traceId))}{Environment.NewLine}node1{Environment.NewLine}{string.Join(Environment.NewLine, SpanLine.ReadAll(controlPlane.HostSpanFile("node1")).Where(s => s.TraceId == traceId))}");
        output.WriteLine($"control plane:{Environment.NewLine}{string.Join(Environment.NewLine, plane)}{Environment.NewLine}node1:{Environment.NewLine}{string.Join(Environment.NewLine, agent)}");

        // Control plane: the HTTP request (ASP.NET Core), admission, table calls (Azure.Data.Tables' own spans), the
        // dispatch and its producer span.
        var http = Assert.Single(plane, s => s.Source == "Microsoft.AspNetCore" && s.Kind == "Server" && s.Attribute("http.request.method") == "POST");
        var admission = Assert.Single(plane, s => s.Name == "partition-request submit");
        Assert.Equal(http.SpanId, admission.ParentSpanId);
        Assert.Equal(accepted.Id, admission.Attribute("gpu.request.id"));
        Assert.Equal(commandId, admission.Attribute("gpu.command.id"));
        Assert.Equal("accepted", admission.Attribute("gpu.request.outcome"));
        // One span per table call from Azure.Data.Tables itself (with Azure.Core's HTTP span beneath), once the hosts enable it.
        Assert.Contains(plane, s => s.Source == "Azure.Data.Tables.TableClient" && s.Name == "TableClient.SubmitTransaction" && s.ParentSpanId == admission.SpanId);
        var dispatch = Assert.Single(plane, s => s.Name == "dispatch command");
        Assert.Equal(admission.SpanId, dispatch.ParentSpanId);
        var publish = Assert.Single(plane, s => s.Kind == "Producer" && s.Attribute("gpu.command.id") == commandId);
        Assert.Equal(dispatch.SpanId, publish.ParentSpanId);

        // Agent (another process): consumes as the producer span's child, executes, steps, CIM calls, publishes its result.
        var consume = Assert.Single(agent, s => s.Kind == "Consumer" && s.Attribute("gpu.command.id") == commandId);
        Assert.Equal(publish.SpanId, consume.ParentSpanId);
        var execute = Assert.Single(agent, s => s.Name == "execute AssignPartition");
        Assert.Equal(consume.SpanId, execute.ParentSpanId);
        Assert.Equal(accepted.Id, execute.Attribute("gpu.request.id"));
        Assert.Equal("Succeeded", execute.Attribute("gpu.command.outcome"));
        var steps = agent.Where(s => s.Name.StartsWith("step ", StringComparison.Ordinal)).ToList();
        Assert.Contains(steps, s => s.Attribute("gpu.step") == "add-partition-adapter");
        Assert.All(steps, s => Assert.Equal(execute.SpanId, s.ParentSpanId));
        var cim = agent.Where(s => s.Attribute("rpc.system") == "cim").ToList();
        Assert.Contains(cim, s => s.Attribute("cim.method") == "AddResourceSettings");
        Assert.All(cim, s => Assert.Contains(s.ParentSpanId, steps.Select(x => x.SpanId).Append(execute.SpanId).Concat(cim.Select(c => c.SpanId))));
        var result = Assert.Single(agent, s => s.Kind == "Producer" && s.Attribute("gpu.message.type") == "CommandResult");

        // Back in the control plane: the reports consumer continues the agent's producer span, the intake inside it.
        var intakeConsume = Assert.Single(plane, s => s.Kind == "Consumer" && s.Attribute("gpu.message.type") == "CommandResult");
        Assert.Equal(result.SpanId, intakeConsume.ParentSpanId);
        var intake = Assert.Single(plane, s => s.Name == "report intake CommandResult");
        Assert.Equal(intakeConsume.SpanId, intake.ParentSpanId);
        Assert.Equal("applied", intake.Attribute("gpu.report.verdict"));

        // Names and ids only: no VM name in a CIM span, no broker password, no query text anywhere.
        var everything = plane.Concat(agent).SelectMany(s => s.Attributes.Values.Append(s.Name)).OfType<string>().ToList();
        Assert.DoesNotContain(everything, v => v.Contains("guest:guest", StringComparison.Ordinal));
        Assert.DoesNotContain(everything, v => v.Contains("SELECT ", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(cim.SelectMany(s => s.Attributes.Values.Append(s.Name)).OfType<string>(), v => v.Contains(vm, StringComparison.Ordinal));
    }

    private static string Description(string cluster, string vm) => $$"""
        {
          "name": "{{cluster}}",
          "timing": { "jobDelayMs": 0, "guestShutdownMs": 0 },
          "nodes": [
            { "name": "node1", "gpus": [ { "model": "NVIDIA A2", "partitionCount": 4 } ], "vms": [ { "name": "{{vm}}", "state": "Running", "offlineAction": "Save" } ] },
            { "name": "node2", "gpus": [ { "model": "NVIDIA A2", "partitionCount": 4 } ], "vms": [ ] }
          ]
        }
        """;

    private string Describe(SimulatedHosts hosts) => hosts.Describe() + Environment.NewLine + controlPlane.Describe();
}
