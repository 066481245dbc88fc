using GpuAutomation.Contracts.Inventory;
using GpuAutomation.Contracts.Reports;
using GpuAutomation.ControlPlane.Tests.Support;
using GpuAutomation.ControlPlane.Inventory;
using GpuAutomation.ControlPlane.Partitioning;

namespace GpuAutomation.ControlPlane.Tests.Partitioning;

public sealed class PartitionRequestValidatorTests
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(15);

    private static ClusterInventory Cluster(params NodeInventory[] nodes) => new(Sample.Cluster, nodes);

    private static RequestValidation Validate(PartitionRequestSubmission submission, ClusterInventory inventory, DateTimeOffset? now = null)
        => PartitionRequestValidator.Validate(submission, inventory, now ?? Sample.Start, MaxAge);

    private static ClusterInventory TwoNodes()
        => Cluster(Sample.Node("node1", Sample.Start, withPartition: 1, without: 2), Sample.Node("node2", Sample.Start, without: 2));

    [Fact]
    public void Assign_of_a_known_vm_without_partition_finds_its_node_and_passes()
    {
        var result = Validate(PartitionRequestSubmission.Assign(Sample.Cluster, "NODE2-VM1"), TwoNodes());
        Assert.Null(result.Rejection);
        Assert.Equal("node2", result.Node);
        Assert.Equal("node2-vm1", result.VmName);
        Assert.Equal(Sample.VmId("node2-vm1"), result.VmId);
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [InlineData("bad_cluster!", "vm", RequestCodes.InvalidName, "bad_cluster!")]
    [InlineData("clus1", "nowhere-vm", RequestCodes.UnknownVm, "nowhere-vm")]
    [InlineData("clus1", "node1-gpuvm0", RequestCodes.VmHasPartition, "node1-gpuvm0")]
    public void Assign_rejections_name_the_values(string cluster, string vm, string code, string named)
    {
        var result = Validate(PartitionRequestSubmission.Assign(cluster, vm), TwoNodes());
        Assert.Equal(code, result.Rejection?.Code);
        Assert.Contains(named, result.Rejection!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_cluster_and_unknown_node_are_rejected()
    {
        Assert.Equal(RequestCodes.UnknownCluster, Validate(PartitionRequestSubmission.Assign("other", "vm"), Cluster()).Rejection?.Code);
        var node = Validate(PartitionRequestSubmission.ConfigureCount(Sample.Cluster, "node9", 8), TwoNodes()).Rejection;
        Assert.Equal(RequestCodes.UnknownNode, node?.Code);
        Assert.Contains("node9", node!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_vms_of_one_name_are_ambiguous_unless_the_id_is_given()
    {
        var node1 = Sample.Node("node1", Sample.Start, without: 0) with { Vms = [Sample.Vm("web", "node1")] };
        var twin = Sample.Vm("web", "node2") with { Id = Guid.Parse("11111111-2222-3333-4444-555555555555") };
        var node2 = Sample.Node("node2", Sample.Start, without: 0) with { Vms = [twin] };

        Assert.Equal(RequestCodes.VmAmbiguous, Validate(PartitionRequestSubmission.Assign(Sample.Cluster, "web"), Cluster(node1, node2)).Rejection?.Code);
        var byId = Validate(PartitionRequestSubmission.Assign(Sample.Cluster, "web", twin.Id), Cluster(node1, node2));
        Assert.Null(byId.Rejection);
        Assert.Equal("node2", byId.Node);
    }

    [Fact]
    public void Unassign_of_a_vm_without_partition_is_rejected()
        => Assert.Equal(RequestCodes.VmHasNoPartition, Validate(PartitionRequestSubmission.Unassign(Sample.Cluster, "node2-vm0"), TwoNodes()).Rejection?.Code);

    [Fact]
    public void Assign_from_a_named_gpu_without_free_partitions_is_rejected_with_the_counts()
    {
        var full = Sample.Node("node1", Sample.Start, partitionCount: 2, withPartition: 2, without: 1);
        var submission = PartitionRequestSubmission.Assign(Sample.Cluster, "node1-vm0") with { GpuInstancePaths = ["gpu-node1-0"] };
        var rejection = Validate(submission, Cluster(full)).Rejection;
        Assert.Equal(RequestCodes.NoFreePartition, rejection?.Code);
        Assert.Contains("2 of 2 assigned", rejection!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Heterogeneous_cluster_is_an_error_naming_both_gpus()
    {
        var a16 = Sample.Node("node2", Sample.Start, without: 1) with { Gpus = [Sample.Gpu("gpu-node2-0", 4, model: "A16", memoryMiB: 65536)] };
        var rejection = Validate(PartitionRequestSubmission.Assign(Sample.Cluster, "node2-vm0"), Cluster(Sample.Node("node1", Sample.Start), a16)).Rejection;
        Assert.Equal(RequestCodes.ClusterHeterogeneous, rejection?.Code);
        Assert.Contains("NVIDIA A2 (16384 MiB)", rejection!.Message, StringComparison.Ordinal);
        Assert.Contains("NVIDIA A16 (65536 MiB)", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_model_with_different_memory_is_an_error_and_unknown_memory_is_no_difference()
    {
        var small = Sample.Node("node2", Sample.Start, without: 1) with { Gpus = [Sample.Gpu("gpu-node2-0", 4, memoryMiB: 8192)] };
        var unknown = Sample.Node("node2", Sample.Start, without: 1) with { Gpus = [Sample.Gpu("gpu-node2-0", 4, memoryMiB: null)] };

        var rejection = Validate(PartitionRequestSubmission.Assign(Sample.Cluster, "node2-vm0"), Cluster(Sample.Node("node1", Sample.Start), small)).Rejection;
        var accepted = Validate(PartitionRequestSubmission.Assign(Sample.Cluster, "node2-vm0"), Cluster(Sample.Node("node1", Sample.Start), unknown));

        Assert.Equal(RequestCodes.ClusterHeterogeneous, rejection?.Code);
        Assert.Contains("NVIDIA A2 (8192 MiB)", rejection!.Message, StringComparison.Ordinal);
        Assert.Null(accepted.Rejection);
    }

    [Fact]
    public void Different_driver_versions_warn_on_assignments_and_count_changes_but_refuse_nothing()
    {
        var node1 = Sample.Node("node1", Sample.Start) with { Gpus = [Sample.Gpu("gpu-node1-0", 4, driverVersion: "32.0.15.5324")] };
        var node2 = Sample.Node("node2", Sample.Start) with { Gpus = [Sample.Gpu("gpu-node2-0", 4, driverVersion: "32.0.15.5612")] };

        var assign = Validate(PartitionRequestSubmission.Assign(Sample.Cluster, "node2-vm0"), Cluster(node1, node2));
        var count = Validate(PartitionRequestSubmission.ConfigureCount(Sample.Cluster, "node2", 8), Cluster(node1, node2));
        var same = Validate(PartitionRequestSubmission.Assign(Sample.Cluster, "node2-vm0"), Cluster(node1, node2 with { Gpus = [Sample.Gpu("gpu-node2-0", 4, driverVersion: "32.0.15.5324")] }));

        Assert.Null(assign.Rejection);
        var warning = Assert.Single(assign.Warnings);
        Assert.Equal(RequestCodes.DriverVersionsDiffer, warning.Code);
        Assert.Contains("32.0.15.5324 on node1; 32.0.15.5612 on node2", warning.Message, StringComparison.Ordinal);
        Assert.Null(count.Rejection);
        Assert.Contains(count.Warnings, w => w.Code == RequestCodes.DriverVersionsDiffer);
        Assert.Empty(same.Warnings);
    }

    [Fact]
    public void Mixed_partition_counts_block_assignments_until_the_change_is_finished()
    {
        var rejection = Validate(
            PartitionRequestSubmission.Assign(Sample.Cluster, "node1-vm0"),
            Cluster(Sample.Node("node1", Sample.Start, partitionCount: 4), Sample.Node("node2", Sample.Start, partitionCount: 8))).Rejection;
        Assert.Equal(RequestCodes.ClusterHeterogeneous, rejection?.Code);
    }

    [Fact]
    public void Count_outside_the_valid_set_is_rejected_with_the_valid_counts()
    {
        var rejection = Validate(PartitionRequestSubmission.ConfigureCount(Sample.Cluster, "node2", 5), TwoNodes()).Rejection;
        Assert.Equal(RequestCodes.InvalidPartitionCount, rejection?.Code);
        Assert.Equal("GPU partition count 5 is not one of the valid counts 16, 8, 4, 2 for NVIDIA A2 on node2.", rejection!.Message);
    }

    [Fact]
    public void Count_change_on_a_gpu_with_assigned_partitions_is_rejected()
    {
        var rejection = Validate(PartitionRequestSubmission.ConfigureCount(Sample.Cluster, "node1", 8), TwoNodes()).Rejection;
        Assert.Equal(RequestCodes.PartitionsAssigned, rejection?.Code);
        Assert.Contains("node1-gpuvm0", rejection!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GpuAssignedStatus.ReadyForDda, "DDA")]
    [InlineData(GpuAssignedStatus.Paravirtualization, "Paravirtualization")]
    public void Count_change_on_a_gpu_not_partitioned_is_rejected(GpuAssignedStatus status, string named)
    {
        var node = Sample.Node("node1", Sample.Start) with { Gpus = [Sample.Gpu("gpu-dda", 4, status: status)] };
        var rejection = Validate(PartitionRequestSubmission.ConfigureCount(Sample.Cluster, "node1", 8), Cluster(node)).Rejection;
        Assert.Equal(RequestCodes.GpuNotPartitioned, rejection?.Code);
        Assert.Contains(named, rejection!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Count_change_on_part_of_the_cluster_passes_with_a_partial_selection_warning()
    {
        var result = Validate(
            PartitionRequestSubmission.ConfigureCount(Sample.Cluster, "node1", 8),
            Cluster(Sample.Node("node1", Sample.Start), Sample.Node("node2", Sample.Start)));
        Assert.Null(result.Rejection);
        Assert.Equal(["gpu-node1-0"], result.GpuInstancePaths);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(RequestCodes.PartialSelection, warning.Code);
        Assert.Contains("gpu-node2-0 on node2 (4)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Count_change_without_a_node_is_rejected()
        => Assert.Equal(
            RequestCodes.NodeRequired,
            Validate(new PartitionRequestSubmission(PartitionAction.ConfigurePartitionCount, Sample.Cluster, PartitionCount: 8), TwoNodes()).Rejection?.Code);

    [Fact]
    public void Old_inventory_still_validates_with_a_stale_warning()
    {
        var result = Validate(PartitionRequestSubmission.Assign(Sample.Cluster, "node2-vm0"), TwoNodes(), Sample.Start.AddMinutes(40));
        Assert.Null(result.Rejection);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(RequestCodes.InventoryStale, warning.Code);
        Assert.Contains("40 minutes ago", warning.Message, StringComparison.Ordinal);
    }
}
