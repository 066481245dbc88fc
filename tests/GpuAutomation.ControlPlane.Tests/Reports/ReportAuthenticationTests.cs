using GpuAutomation.Contracts.Messaging;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Rejections;
using GpuAutomation.ControlPlane.Reports;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GpuAutomation.ControlPlane.Tests.Reports;

/// <summary>
/// Issue 16, item 1: a report counts only when it carries an access token of the managed identity its node is
/// registered with. The core validates tokens of a local issuer (own RSA keys, metadata served to the production key
/// source); every refusal changes nothing and is recorded with its reason.
/// </summary>
public sealed class ReportAuthenticationTests : IDisposable
{
    private readonly LocalTokenIssuer _issuer = new();
    private readonly ControlPlaneHarness _plane;

    public ReportAuthenticationTests() => _plane = new ControlPlaneHarness(Backends.InMemory(), string.Empty, _issuer);

    public void Dispose()
    {
        _plane.Dispose();
        _issuer.Dispose();
    }

    private Message SnapshotOfNode1(string? token)
    {
        var at = _plane.Time.GetUtcNow();
        return Message.Create(new InventorySnapshot(Sample.Node("node1", at)), "snap-" + Guid.NewGuid().ToString("N"), Sample.Cluster, "node1", at) with { SenderToken = token };
    }

    private string TokenOf(string node, TimeSpan? lifetime = null, string audience = LocalTokenIssuer.DefaultAudience, string? issuer = null, Microsoft.IdentityModel.Tokens.SigningCredentials? signWith = null)
        => _issuer.Token(Sample.PrincipalId(node), _plane.Time.GetUtcNow().AddMinutes(-1), lifetime, audience, issuer, signWith);

    [Fact]
    public async Task A_snapshot_with_its_nodes_token_is_applied_whether_the_token_is_v1_or_v2()
    {
        var v1 = await _plane.Intake.ReceiveAsync(SnapshotOfNode1(TokenOf("node1")), "test", null, default);
        _plane.Time.Advance(TimeSpan.FromSeconds(10));
        var v2 = await _plane.Intake.ReceiveAsync(SnapshotOfNode1(TokenOf("node1", issuer: _issuer.Issuer)), "test", null, default);

        Assert.Null(v1.Refusal);
        Assert.True(v1.Changed);
        Assert.Null(v2.Refusal);
        Assert.True(v2.Changed);
        Assert.NotNull(await _plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default));
        Assert.Empty(await _plane.Get<RejectedMessageStore>().RecentAsync(10, default));
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        { "missing", ReportRefusalCodes.UnauthenticatedReport, "carries no access token" },
        { "foreign key, same key id", ReportRefusalCodes.UnauthenticatedReport, "signature does not verify" },
        { "foreign key, own key id", ReportRefusalCodes.UnauthenticatedReport, "not signed by any of the tenant's signing keys" },
        { "wrong audience", ReportRefusalCodes.UnauthenticatedReport, "another audience" },
        { "wrong issuer", ReportRefusalCodes.UnauthenticatedReport, "another issuer" },
        { "expired", ReportRefusalCodes.UnauthenticatedReport, "expired at" },
        { "not a jwt", ReportRefusalCodes.UnauthenticatedReport, "not a well-formed JWT" },
        { "token of node2", ReportRefusalCodes.SenderMismatch, Sample.PrincipalId("node2") },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_report_without_its_nodes_valid_token_changes_nothing_and_is_recorded(string token, string code, string reasonPart)
    {
        var sent = token switch
        {
            "missing" => null,
            "foreign key, same key id" => TokenOf("node1", signWith: LocalTokenIssuer.ForeignKey(_issuer.CurrentKeyId)),
            "foreign key, own key id" => TokenOf("node1", signWith: LocalTokenIssuer.ForeignKey("attacker")),
            "wrong audience" => TokenOf("node1", audience: "api://another-app"),
            "wrong issuer" => TokenOf("node1", issuer: "https://sts.windows.net/00000000-1111-2222-3333-444444444444/"),
            "expired" => _issuer.Token(Sample.PrincipalId("node1"), _plane.Time.GetUtcNow().AddHours(-2), TimeSpan.FromHours(1)),
            "not a jwt" => "not-a-token",
            "token of node2" => TokenOf("node2"),
            _ => throw new ArgumentOutOfRangeException(nameof(token)),
        };

        var verdict = await _plane.Intake.ReceiveAsync(SnapshotOfNode1(sent), "test", "broker-1", default);

        Assert.Equal(code, verdict.Refusal?.Code);
        Assert.False(verdict.Changed);
        Assert.Null(await _plane.Inventory.GetNodeAsync(Sample.Cluster, "node1", default));
        var rejected = Assert.Single(await _plane.Get<RejectedMessageStore>().RecentAsync(10, default));
        Assert.Equal(code, rejected.Code);
        Assert.Equal("broker-1", rejected.MessageId);
        Assert.Contains(reasonPart, rejected.Reason, StringComparison.Ordinal);

        // The token never lands in the record operators read.
        Assert.DoesNotContain("eyJ", rejected.Excerpt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_result_of_node1_sent_with_node2s_token_completes_nothing()
    {
        var at = _plane.Time.GetUtcNow();
        foreach (var node in new[] { "node1", "node2" })
        {
            var snapshot = Message.Create(new InventorySnapshot(Sample.Node(node, at)), "snap-" + node, Sample.Cluster, node, at) with { SenderToken = TokenOf(node) };
            Assert.Null((await _plane.Intake.ReceiveAsync(snapshot, "test", null, default)).Refusal);
        }

        var request = (await _plane.AssignAsync("node1-vm0")).Request;
        var forged = _plane.Result(request, CommandOutcome.Failed) with { SenderToken = TokenOf("node2") };

        var verdict = await _plane.Intake.ReceiveAsync(forged, "test", null, default);

        Assert.Equal(ReportRefusalCodes.SenderMismatch, verdict.Refusal?.Code);
        Assert.Equal(GpuAutomation.ControlPlane.Partitioning.RequestStatus.Dispatched, (await _plane.Requests.GetAsync(request.Id, default))!.Status);
        var genuine = _plane.Result(request, CommandOutcome.Succeeded) with { SenderToken = TokenOf("node1") };
        Assert.True((await _plane.Intake.ReceiveAsync(genuine, "test", null, default)).Changed);
    }

    [Fact]
    public async Task Signing_keys_are_fetched_once_and_again_only_for_a_key_id_they_lack()
    {
        for (var i = 0; i < 5; i++)
        {
            _plane.Time.Advance(TimeSpan.FromSeconds(1));
            Assert.Null((await _plane.Intake.ReceiveAsync(SnapshotOfNode1(TokenOf("node1")), "test", null, default)).Refusal);
        }

        Assert.Equal(2, _issuer.DocumentReads);

        // A forged key id within minutes of the last fetch costs no fetch (the tenant is not hammered).
        _plane.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.NotNull((await _plane.Intake.ReceiveAsync(SnapshotOfNode1(TokenOf("node1", signWith: LocalTokenIssuer.ForeignKey("forged"))), "test", null, default)).Refusal);
        Assert.Equal(2, _issuer.DocumentReads);

        // The tenant rolls its keys over: a token signed with the new key is accepted after one refresh.
        _issuer.AddKey();
        _plane.Time.Advance(OpenIdSigningKeySource.MinimumRefreshInterval);
        var verdict = await _plane.Intake.ReceiveAsync(SnapshotOfNode1(TokenOf("node1")), "test", null, default);

        Assert.Null(verdict.Refusal);
        Assert.True(verdict.Changed);
        Assert.Equal(4, _issuer.DocumentReads);
    }

    [Fact]
    public async Task A_node_registered_through_the_deployments_node_list_authenticates_with_its_principal_even_with_a_hyphenated_name()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_plane.Time);
        services.AddSingleton<GpuAutomation.Messaging.IMessageBus>(new RecordingPublisher());
        services.AddSingleton<IReportSigningKeySource>(new OpenIdSigningKeySource(_issuer.MetadataAddress, _issuer, _plane.Time));
        var principal = Guid.NewGuid().ToString();
        services.AddControlPlaneCore(new ConfigurationBuilder().AddInMemoryCollection(_issuer.Settings()).AddInMemoryCollection(new Dictionary<string, string?>
        {
            // As infra/ writes it: app setting names can't hold the hyphen of HCI-Cluster01.
            ["GpuAutomation:NodeList:0:Cluster"] = "HCI-Cluster01",
            ["GpuAutomation:NodeList:0:Node"] = "Node-01",
            ["GpuAutomation:NodeList:0:PrincipalId"] = principal,
        }).Build());
        await using var provider = services.BuildServiceProvider();
        var intake = provider.GetRequiredService<ReportIntake>();
        var at = _plane.Time.GetUtcNow();
        Message Snapshot(string token) => Message.Create(new InventorySnapshot(Sample.Node("Node-01", at)), "snap-" + Guid.NewGuid().ToString("N"), "HCI-Cluster01", "Node-01", at) with { SenderToken = token };

        var other = await intake.ReceiveAsync(Snapshot(_issuer.Token(Guid.NewGuid().ToString(), at.AddMinutes(-1))), "test", null, default);
        var own = await intake.ReceiveAsync(Snapshot(_issuer.Token(principal, at.AddMinutes(-1))), "test", null, default);

        Assert.Equal(ReportRefusalCodes.SenderMismatch, other.Refusal?.Code);
        Assert.Null(own.Refusal);
        Assert.True(own.Changed);
    }

    [Fact]
    public void Without_authentication_settings_or_development_trust_the_core_refuses_to_start()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<GpuAutomation.Messaging.IMessageBus>(new RecordingPublisher());
        services.AddControlPlaneCore(new ConfigurationBuilder().AddInMemoryCollection(ControlPlaneHarness.RegisteredNodes).Build());
        using var provider = services.BuildServiceProvider();

        var refused = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ReportIntake>());

        Assert.Contains(refused.Failures, f => f.Contains("GpuAutomation:ReportAuthentication:TenantId", StringComparison.Ordinal));
        Assert.Contains(refused.Failures, f => f.Contains("GpuAutomation:ReportAuthentication:Audience", StringComparison.Ordinal));
    }
}
