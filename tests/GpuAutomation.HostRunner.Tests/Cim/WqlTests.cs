using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Tests.Cim;

public sealed class WqlTests
{
    [Theory]
    [InlineData("vm1", "'vm1'")]
    [InlineData("it's", @"'it\'s'")]
    [InlineData(@"a\b", @"'a\\b'")]
    [InlineData("' OR '1'='1", @"'\' OR \'1\'=\'1'")]
    [InlineData("50%_off", "'50%_off'")]
    public void Quote_escapes_backslash_and_quote(string value, string expected)
        => Assert.Equal(expected, Wql.Quote(value));

    [Fact]
    public void Select_writes_the_query_the_providers_expect()
    {
        var query = Wql.Select("Msvm_ComputerSystem", Wql.Equal("Caption", "Virtual Machine"), Wql.Equal("ElementName", "o'brien"));
        Assert.Equal(@"SELECT * FROM Msvm_ComputerSystem WHERE Caption = 'Virtual Machine' AND ElementName = 'o\'brien'", query.Text);
    }

    [Fact]
    public void EndsWith_matches_wildcard_characters_literally()
        => Assert.Equal(@"InstanceID LIKE '%\\Default[_][%]'", Render(Wql.EndsWith("InstanceID", @"\Default_%")));

    [Theory]
    [InlineData("")]
    [InlineData("line\nbreak")]
    [InlineData("nul\0")]
    public void Unsafe_values_are_refused(string value)
        => Assert.Equal(CimErrors.UnsafeWqlValue, Assert.Throws<CimException>(() => Wql.Quote(value)).Code);

    [Fact]
    public void A_value_longer_than_the_limit_is_refused()
    {
        var error = Assert.Throws<CimException>(() => Wql.Quote(new string('x', Wql.MaxValueLength + 1)));
        Assert.Equal(CimErrors.UnsafeWqlValue, error.Code);
        Assert.Contains("1025", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Msvm_ComputerSystem WHERE 1=1 OR Name")]
    [InlineData("")]
    [InlineData("1Class")]
    public void Class_and_property_names_must_be_identifiers(string name)
        => Assert.Equal(CimErrors.UnsafeWqlValue, Assert.Throws<CimException>(() => Wql.Select(name)).Code);

    [Theory]
    [InlineData("' OR '1'='1")]
    [InlineData("vm1' OR Name LIKE '%")]
    [InlineData(@"vm1\")]
    [InlineData(@"vm1\' OR \'1\'=\'1")]
    [InlineData("%")]
    [InlineData("_")]
    [InlineData("vm_")]
    public async Task Injection_attempts_in_a_vm_name_match_no_vm(string name)
    {
        var host = Emulator.Host(Emulator.Cluster());
        var error = await Assert.ThrowsAsync<CimException>(() => host.Vms.FindByNameAsync(name, CancellationToken.None));
        Assert.Equal(CimErrors.VmNotFound, error.Code);
    }

    [Theory]
    [InlineData("it's mine")]
    [InlineData(@"back\slash")]
    [InlineData("' OR '1'='1")]
    [InlineData("100%_real")]
    public async Task A_vm_whose_name_holds_quotes_or_wildcards_is_found_exactly(string name)
    {
        var cluster = Emulator.Cluster();
        var id = cluster.AddVm("node1", new(name));
        cluster.AddVm("node1", new(name + "x"));
        var host = Emulator.Host(cluster);

        var vm = await host.Vms.FindByNameAsync(name, CancellationToken.None);

        Assert.Equal(id, vm.Id);
        Assert.Equal(name, vm.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("tab\tname")]
    public async Task Empty_or_control_character_vm_names_are_refused_before_any_query(string name)
    {
        var host = Emulator.Host(Emulator.Cluster());
        var error = await Assert.ThrowsAsync<CimException>(() => host.Vms.FindByNameAsync(name, CancellationToken.None));
        Assert.Equal(CimErrors.UnsafeWqlValue, error.Code);
    }

    [Fact]
    public async Task A_very_long_vm_name_is_refused()
    {
        var host = Emulator.Host(Emulator.Cluster());
        var error = await Assert.ThrowsAsync<CimException>(() => host.Vms.FindByNameAsync(new string('v', 101), CancellationToken.None));
        Assert.Equal(CimErrors.UnsafeWqlValue, error.Code);
    }

    [Fact]
    public async Task A_gpu_path_with_injection_finds_no_gpu()
    {
        var host = Emulator.Host(Emulator.Cluster());
        var error = await Assert.ThrowsAsync<CimException>(() => host.Gpus.SetPartitionCountAsync(@"x' OR Name LIKE '%", 8, CancellationToken.None));
        Assert.Equal(CimErrors.GpuNotFound, error.Code);
    }

    [Fact]
    public async Task The_emulator_refuses_wql_outside_the_subset_rather_than_guessing()
    {
        var cluster = Emulator.Cluster();
        var cim = cluster.ClientFor("node1");
        var query = Wql.Select(HyperVClasses.ComputerSystem, Wql.Equal("ElementName", "vm1"));
        var tampered = (WqlQuery)typeof(WqlQuery).GetConstructors(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)[0]
            .Invoke([query.Text + " OR Name = 'x'", query.ClassName]);

        var error = await Assert.ThrowsAsync<CimException>(() => cim.QueryAsync(CimNamespaces.Virtualization, tampered, CancellationToken.None));

        Assert.Equal(CimErrors.InvalidQuery, error.Code);
    }

    private static string Render(WqlCondition condition) => $"{condition.Property} {(condition.IsLike ? "LIKE" : "=")} {condition.Literal}";
}
