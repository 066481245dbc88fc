using Azure.Core;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.HostRunner.Reporting;
using Microsoft.Extensions.Logging.Abstractions;

namespace GpuAutomation.HostRunner.Agent.Tests;

/// <summary>Issue 16, item 1 on the agent: every report carries the node's managed identity token, fetched once and kept until shortly before it expires.</summary>
public sealed class ReportTokenTests
{
    /// <summary>
    /// Answers as ManagedIdentityCredential does: a bearer token for the requested scope with its expiry (a managed
    /// identity's tokens last hours). Counts the requests, so caching shows.
    /// </summary>
    private sealed class CountingCredential(TimeProvider time, TimeSpan lifetime) : TokenCredential
    {
        private int _requests;

        public int Requests => Volatile.Read(ref _requests);

        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _requests);
            lock (Scopes)
            {
                Scopes.AddRange(requestContext.Scopes);
            }

            return new AccessToken($"token-{n}", time.GetUtcNow() + lifetime);
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
            => ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task A_token_is_fetched_once_for_the_apis_default_scope_and_again_only_near_its_expiry()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 29, 4, 0, 0, TimeSpan.Zero));
        var credential = new CountingCredential(clock, TimeSpan.FromHours(1));
        var tokens = new ReportTokenSource(credential, "api://gpu-automation", clock, NullLogger<ReportTokenSource>.Instance);

        var first = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            first.Add(await tokens.GetTokenAsync(default));
        }

        clock.Now += TimeSpan.FromMinutes(54);
        var stillFirst = await tokens.GetTokenAsync(default);
        clock.Now += TimeSpan.FromMinutes(2);
        var renewed = await tokens.GetTokenAsync(default);

        Assert.All(first, t => Assert.Equal("token-1", t));
        Assert.Equal("token-1", stillFirst);
        Assert.Equal("token-2", renewed);
        Assert.Equal(2, credential.Requests);
        Assert.All(credential.Scopes, s => Assert.Equal("api://gpu-automation/.default", s));
    }

    [Fact]
    public async Task Every_report_the_agent_sends_carries_the_nodes_token_in_its_application_properties()
    {
        await using var h = new AgentHarness(changePoll: TimeSpan.FromMilliseconds(100));
        var credential = new CountingCredential(TimeProvider.System, TimeSpan.FromHours(24));
        h.ReportTokens = new ReportTokenSource(credential, "api://gpu-automation", TimeProvider.System, NullLogger<ReportTokenSource>.Instance);
        await h.StartAgentAsync();
        await h.WaitForAsync<InventorySnapshot>(_ => true);

        h.Cluster.AddVm(AgentHarness.Node, new GpuAutomation.HostRunner.Simulation.VmDescription("fresh"));
        await h.WaitForAsync<ClusterEvent>(e => e.Kind == ClusterEventKind.VmCreated);

        Assert.True(h.Reports.Count >= 3);
        Assert.All(h.Reports, r => Assert.Equal("token-1", r.SenderToken));
        Assert.Equal(1, credential.Requests);
    }
}
