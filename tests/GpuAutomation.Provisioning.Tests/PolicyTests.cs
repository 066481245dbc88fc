using GpuAutomation.ControlPlane;
using System.Text;
using GpuAutomation.Contracts.Inventory;
using GpuAutomation.ControlPlane.Provisioning;

namespace GpuAutomation.Provisioning.Tests;

public sealed class PolicyTests
{
    [Theory]
    [InlineData("gpu-*", "gpu-vm-01", true)]
    [InlineData("gpu-*", "GPU-VM-01", true)]
    [InlineData("gpu-*", "web-01", false)]
    [InlineData("*-render-??", "farm-render-07", true)]
    [InlineData("*-render-??", "farm-render-7", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "exactly", false)]
    public void Wildcard_patterns_match_like_powershell(string pattern, string name, bool expected)
        => Assert.Equal(expected, WildcardPattern.IsMatch(pattern, name));

    [Fact]
    public void First_rule_whose_criteria_all_match_selects_the_vm()
    {
        var policy = new ProvisioningPolicy(
        [
            new ProvisioningRule("render", NamePattern: "render-*", NotesMarker: "gpu"),
            new ProvisioningRule("ml", NamePattern: "ml-*", StartAfter: true),
        ]);

        Assert.Equal("ml", PolicyMatcher.Decide(policy, new VmFacts("ml-01", null, null)).Rule?.Name);
        Assert.Equal(PolicyMatch.NotSelected, PolicyMatcher.Decide(policy, new VmFacts("render-01", "no marker", null)).Match);
        Assert.Equal("render", PolicyMatcher.Decide(policy, new VmFacts("render-01", "needs GPU please", null)).Rule?.Name);
    }

    [Fact]
    public void Tag_rules_match_tag_names_case_insensitively_and_star_accepts_any_value()
    {
        var policy = new ProvisioningPolicy([new ProvisioningRule("tagged", AzureTags: new Dictionary<string, string> { ["gpu-partition"] = "true", ["team"] = "*" })]);

        Assert.True(PolicyMatcher.Decide(policy, new VmFacts("vm1", null, new Dictionary<string, string> { ["GPU-Partition"] = "true", ["Team"] = "ml" })).IsSelected);
        Assert.False(PolicyMatcher.Decide(policy, new VmFacts("vm1", null, new Dictionary<string, string> { ["gpu-partition"] = "false", ["team"] = "ml" })).IsSelected);
        Assert.False(PolicyMatcher.Decide(policy, new VmFacts("vm1", null, new Dictionary<string, string> { ["gpu-partition"] = "true" })).IsSelected);
    }

    [Fact]
    public void Tag_rule_without_known_tags_is_undecided_rather_than_a_no()
    {
        var policy = new ProvisioningPolicy([new ProvisioningRule("tagged", AzureTags: new Dictionary<string, string> { ["gpu-partition"] = "true" })]);

        Assert.Equal(PolicyMatch.Undecided, PolicyMatcher.Decide(policy, new VmFacts("vm1", null, null)).Match);
    }

    [Fact]
    public void Valid_document_is_read_with_defaults()
    {
        var policy = PolicyDocument.Parse("""
            {"rules":[{"name":"gpu-vms","namePattern":"gpu-*","startAfter":true}],"remediation":{"fixOfflineAction":true,"maxRequestsPerScan":3}}
            """u8);

        var rule = Assert.Single(policy.Rules);
        Assert.Equal("gpu-*", rule.NamePattern);
        Assert.True(rule.AssignPartition);
        Assert.Equal(OfflineAction.ForceShutdown, rule.OfflineAction);
        Assert.Equal(3, policy.EffectiveRemediation.MaxRequestsPerScan);
        Assert.False(policy.EffectiveRemediation.AssignMissingPartitions);
        Assert.Equal(30, policy.StaleInventoryAfterMinutes);
    }

    [Theory]
    [InlineData("""{"rules":[{"name":"r","namePatern":"gpu-*"}]}""", "namePatern")]
    [InlineData("""{"rules":[{"name":"r","namePattern":"gpu-[0-9]"}]}""", "character ranges")]
    [InlineData("""{"rules":[{"name":"r"}]}""", "at least one of")]
    [InlineData("""{"rules":[{"name":"r","namePattern":"a"},{"name":"R","namePattern":"b"}]}""", "used by another rule")]
    [InlineData("""{"rules":[],"remediation":{"maxRequestsPerScan":1000}}""", "maxRequestsPerScan")]
    [InlineData("""{"rules":[{"name":"r","namePattern":"a","offlineAction":"Hibernate"}]}""", "offlineAction")]
    [InlineData("""{"rules":[{"name":"r","azureTags":{"bad/tag":"x"}}]}""", "bad/tag")]
    [InlineData("""{"rulez":[]}""", "rulez")]
    [InlineData("""[]""", "not valid")]
    public void Invalid_documents_are_refused_naming_the_problem(string json, string expected)
    {
        var error = Assert.Throws<ControlPlaneException>(() => PolicyDocument.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal("invalid-policy", error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialized_policy_reads_back_the_same()
    {
        var policy = new ProvisioningPolicy(
            [new ProvisioningRule("tagged", AzureTags: new Dictionary<string, string> { ["gpu-partition"] = "true" }, StartAfter: true)],
            new RemediationPolicy(FixOfflineAction: false, MaxRequestsPerScan: 2),
            45);

        var again = PolicyDocument.Parse(PolicyDocument.Serialize(policy));

        Assert.Equal(policy.Remediation, again.Remediation);
        Assert.Equal(policy.StaleInventoryAfterMinutes, again.StaleInventoryAfterMinutes);
        Assert.Equal("true", again.Rules[0].AzureTags!["gpu-partition"]);
        Assert.True(again.Rules[0].StartAfter);
    }
}
