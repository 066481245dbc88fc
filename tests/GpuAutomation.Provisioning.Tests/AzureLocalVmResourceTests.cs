using GpuAutomation.ControlPlane.Provisioning;

namespace GpuAutomation.Provisioning.Tests;

public sealed class AzureLocalVmResourceTests
{
    [Theory]
    [InlineData("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/gpu-vm-01/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default")]
    [InlineData("/SUBSCRIPTIONS/s1/resourcegroups/rg1/providers/microsoft.hybridcompute/MACHINES/gpu-vm-01/providers/microsoft.azurestackhci/virtualmachineinstances/default")]
    [InlineData("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/gpu-vm-01")]
    public void Vm_instance_and_machine_ids_name_the_vm_and_its_machine(string id)
    {
        var vm = AzureLocalVmResource.TryParse(id);

        Assert.NotNull(vm);
        Assert.Equal("gpu-vm-01", vm.VmName);
        Assert.Equal("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/gpu-vm-01", vm.MachineResourceId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1")]
    [InlineData("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/vm1/extensions/x")]
    [InlineData("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/vm1/providers/Microsoft.AzureStackHCI/networkInterfaces/nic")]
    [InlineData("/subscriptions//resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/vm1")]
    public void Other_resources_are_not_azure_local_vms(string? id)
        => Assert.Null(AzureLocalVmResource.TryParse(id));

    [Fact]
    public async Task In_memory_reader_answers_like_resource_manager()
    {
        var reader = new InMemoryAzureLocalVmReader();
        var resource = AzureLocalVmResource.TryParse("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/gpu-vm-01")!;
        reader.Set(resource.MachineResourceId, new AzureLocalVmFacts("HCI", null, new Dictionary<string, string> { ["gpu-partition"] = "true" }));

        var upper = AzureLocalVmResource.TryParse(resource.InstanceResourceId.ToUpperInvariant())!;
        Assert.Equal("true", (await reader.ReadAsync(upper, CancellationToken.None))!.Tags["gpu-partition"]);
        Assert.Null(await reader.ReadAsync(resource with { VmName = "other" }, CancellationToken.None));
    }

    [Fact]
    public void Instance_resource_id_is_the_machine_extension_named_default()
        => Assert.Equal(
            "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/vm1/providers/Microsoft.AzureStackHCI/virtualMachineInstances/default",
            AzureLocalVmResource.TryParse("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/vm1")!.InstanceResourceId);

    [Theory]
    [InlineData("""{"vmId":"5b6a1f9e-0c39-4a6e-9d1e-3f1f9b7b2c11","provisioningState":"Succeeded"}""", "5b6a1f9e-0c39-4a6e-9d1e-3f1f9b7b2c11")]
    [InlineData("""{"provisioningState":"Accepted"}""", null)]
    [InlineData("""{"vmId":"not-a-guid"}""", null)]
    [InlineData("""{"vmId":null}""", null)]
    [InlineData("""[]""", null)]
    public void Instance_vm_id_is_read_from_the_instance_properties(string properties, string? expected)
        => Assert.Equal(expected is null ? null : Guid.Parse(expected), ArmAzureLocalVmReader.ReadVmId(BinaryData.FromString(properties)));

    [Theory]
    [InlineData("HCI", true)]
    [InlineData("hci", true)]
    [InlineData(null, true)]
    [InlineData("VMware", false)]
    [InlineData("SCVMM", false)]
    public void Only_machines_of_kind_hci_are_azure_local_vms(string? kind, bool expected)
        => Assert.Equal(expected, new AzureLocalVmFacts(kind, null, new Dictionary<string, string>()).IsAzureLocalVm);
}
