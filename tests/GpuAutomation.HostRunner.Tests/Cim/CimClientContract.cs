using GpuAutomation.HostRunner.Cim;
using GpuAutomation.HostRunner.HyperV;

namespace GpuAutomation.HostRunner.Tests.Cim;

/// <summary>
/// What every <see cref="ICimClient"/> must do on a Hyper-V host, whatever is behind it. The emulator runs it here;
/// a Windows test host can derive a class that returns a <see cref="Cim.Mi.MiCimClient"/> (MI can't load on Linux).
/// </summary>
public abstract class CimClientContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected abstract ICimClient CreateClient();

    [Fact]
    public async Task The_management_service_is_one_instance_that_reads_back_by_its_path()
    {
        var cim = CreateClient();
        var services = await cim.QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.ManagementService), None);

        var service = Assert.Single(services);
        var read = await cim.GetInstanceAsync(service.Path, None);

        Assert.Equal(service.Path, read.Path);
        Assert.Equal(HyperVClasses.ManagementService, read.ClassName, ignoreCase: true);
    }

    [Fact]
    public async Task A_missing_instance_is_not_found()
    {
        var path = new CimInstancePath(CimNamespaces.Virtualization, HyperVClasses.ComputerSystem, [
            new("CreationClassName", HyperVClasses.ComputerSystem), new("Name", "00000000-0000-0000-0000-00000000DEAD")]);
        var error = await Assert.ThrowsAsync<CimException>(() => CreateClient().GetInstanceAsync(path, None));
        Assert.Equal(CimErrors.NotFound, error.Code);
    }

    [Fact]
    public async Task An_unknown_class_is_invalid_class()
    {
        var error = await Assert.ThrowsAsync<CimException>(() => CreateClient().QueryAsync(CimNamespaces.Virtualization, Wql.Select("Msvm_NoSuchClass"), None));
        Assert.Equal(CimErrors.InvalidClass, error.Code);
    }

    [Fact]
    public async Task An_unknown_namespace_is_invalid_namespace()
    {
        var error = await Assert.ThrowsAsync<CimException>(() => CreateClient().QueryAsync(@"root\nosuchnamespace", Wql.Select("Anything"), None));
        Assert.Equal(CimErrors.InvalidNamespace, error.Code);
    }

    [Fact]
    public async Task Class_declarations_name_the_methods_the_agent_invokes_and_unknown_ones_are_invalid()
    {
        var cim = CreateClient();

        var service = await cim.GetClassAsync(CimNamespaces.Virtualization, HyperVClasses.ManagementService, None);
        var system = await cim.GetClassAsync(CimNamespaces.Virtualization, HyperVClasses.ComputerSystem, None);
        var unknownClass = await Assert.ThrowsAsync<CimException>(() => cim.GetClassAsync(CimNamespaces.Virtualization, "Msvm_NoSuchClass", None));
        var unknownNamespace = await Assert.ThrowsAsync<CimException>(() => cim.GetClassAsync(@"root\nosuchnamespace", "Anything", None));

        Assert.Superset(new HashSet<string>(["AddResourceSettings", "RemoveResourceSettings", "ModifyResourceSettings", "ModifySystemSettings"]), service.Methods.ToHashSet());
        Assert.Contains("RequestStateChange", system.Methods);
        Assert.Equal(CimErrors.InvalidClass, unknownClass.Code);
        Assert.Equal(CimErrors.InvalidNamespace, unknownNamespace.Code);
    }

    [Fact]
    public async Task A_quoted_injection_in_a_value_matches_nothing()
    {
        var query = Wql.Select(HyperVClasses.ComputerSystem, Wql.Equal("ElementName", "x' OR ElementName LIKE '%"));
        Assert.Empty(await CreateClient().QueryAsync(CimNamespaces.Virtualization, query, None));
    }

    [Fact]
    public async Task Partitionable_gpus_carry_their_keys_and_partition_properties()
    {
        var gpus = await CreateClient().QueryAsync(CimNamespaces.Virtualization, Wql.Select(HyperVClasses.PartitionableGpu), None);
        Assert.All(gpus, g =>
        {
            Assert.Contains("Name", g.KeyNames, StringComparer.OrdinalIgnoreCase);
            Assert.NotEmpty(g.RequireString("Name"));
            Assert.NotNull(g.GetUnsigned("PartitionCount"));
        });
    }
}
