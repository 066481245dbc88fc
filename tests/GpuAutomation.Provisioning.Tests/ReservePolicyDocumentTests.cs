using System.Text;
using GpuAutomation.ControlPlane;
using GpuAutomation.ControlPlane.Capacity;
using GpuAutomation.ControlPlane.Provisioning;
using GpuAutomation.ControlPlane.Queueing;

namespace GpuAutomation.Provisioning.Tests;

/// <summary>The policy's reserve, queue and placement members as operators PUT them (issue 18).</summary>
public sealed class ReservePolicyDocumentTests
{
    [Fact]
    public void Reserve_breach_action_and_queue_default_read_as_written_and_round_trip()
    {
        var policy = PolicyDocument.Parse("""{"rules":[],"reserve":"n+1","onReserveBreach":"warn","queue":{"maxWaitMinutes":45,"priority":3}}"""u8);

        Assert.Equal(ReserveMode.NPlusOne, policy.Reserve);
        Assert.Equal(ReserveBreachAction.Warn, policy.OnReserveBreach);
        Assert.Equal(new QueueTerms(45, 3), policy.Queue);
        var written = Encoding.UTF8.GetString(PolicyDocument.Serialize(policy));
        Assert.Contains("\"reserve\":\"n\\u002B1\"", written, StringComparison.Ordinal);
        Assert.Equal(policy, PolicyDocument.Parse(PolicyDocument.Serialize(policy)) with { Rules = policy.Rules });
    }

    [Fact]
    public void Defaults_keep_no_reserve_refuse_on_breach_and_queue_nothing()
    {
        var policy = PolicyDocument.Parse("""{"rules":[]}"""u8);

        Assert.Equal(ReserveMode.None, policy.Reserve);
        Assert.Equal(ReserveBreachAction.Refuse, policy.OnReserveBreach);
        Assert.Null(policy.Queue);
    }

    [Theory]
    [InlineData("""{"rules":[],"reserve":"fixed"}""", "reservePartitions: reserve 'fixed' needs a partition count from 1 to 1024.")]
    [InlineData("""{"rules":[],"reserve":"fixed","reservePartitions":0}""", "reservePartitions: reserve 'fixed' needs a partition count from 1 to 1024, not 0.")]
    [InlineData("""{"rules":[],"reserve":"n+1","reservePartitions":2}""", "reservePartitions: only reserve 'fixed' takes a partition count.")]
    [InlineData("""{"rules":[],"reserve":7}""", "reserve: '7' is not one of none, fixed, n+1.")]
    [InlineData("""{"rules":[],"queue":{"maxWaitMinutes":0,"priority":12}}""", "queue.maxWaitMinutes: 0 is outside 1..10080. queue.priority: 12 is outside 0..9.")]
    [InlineData("""{"rules":[],"moves":7,"strategy":9}""", "moves: '7' is not one of never, when-off, live-migrate. strategy: '9' is not one of spread, pack.")]
    public void Invalid_reserve_and_queue_settings_are_refused_naming_the_field(string json, string problem)
    {
        var error = Assert.Throws<ControlPlaneException>(() => PolicyDocument.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ControlPlaneErrorCodes.InvalidPolicy, error.Code);
        Assert.Equal(problem, error.Message);
    }

    [Fact]
    public void Moves_and_strategy_read_as_written_default_to_never_and_spread_and_round_trip()
    {
        var policy = PolicyDocument.Parse("""{"rules":[],"moves":"live-migrate","strategy":"pack"}"""u8);
        var defaults = PolicyDocument.Parse("""{"rules":[]}"""u8);

        Assert.Equal((MovePolicy.LiveMigrate, PlacementStrategy.Pack), (policy.Moves, policy.Strategy));
        Assert.Equal((MovePolicy.Never, PlacementStrategy.Spread), (defaults.Moves, defaults.Strategy));
        Assert.Contains("\"moves\":\"live-migrate\",\"strategy\":\"pack\"", Encoding.UTF8.GetString(PolicyDocument.Serialize(policy)), StringComparison.Ordinal);
        var unknown = Assert.Throws<ControlPlaneException>(() => PolicyDocument.Parse("""{"rules":[],"moves":"sometimes"}"""u8));
        Assert.Contains("at moves", unknown.Message, StringComparison.Ordinal);
    }
}
