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
    public async Task In_memory_tags_answer_like_resource_manager()
    {
        var reader = new InMemoryTagReader();
        var id = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.HybridCompute/machines/gpu-vm-01";
        reader.SetTags(id, new Dictionary<string, string> { ["gpu-partition"] = "true" });

        Assert.Equal("true", (await reader.ReadTagsAsync(id.ToUpperInvariant(), CancellationToken.None))!["gpu-partition"]);
        Assert.Null(await reader.ReadTagsAsync(id + "x", CancellationToken.None));
    }
}
