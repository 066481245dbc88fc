// What the portal derives from a cluster's inventory: totals, homogeneity and staleness, following the rules in
// the architecture (a cluster must be homogeneous: same model and memory on every node, same partition count on every GPU).

export function summarize(inventory, staleAfterMinutes) {
  const gpus = inventory.nodes.flatMap(node => node.gpus.map(gpu => ({ ...gpu, node: node.node })));
  const total = gpus.reduce((sum, gpu) => sum + gpu.partitionCount, 0);
  const free = gpus.reduce((sum, gpu) => sum + gpu.freePartitions, 0);
  const assigned = gpus.reduce((sum, gpu) => sum + gpu.partitions.length, 0);
  const staleSeconds = (staleAfterMinutes ?? 30) * 60;
  const staleNodes = inventory.nodes.filter(node => node.ageSeconds > staleSeconds).map(node => node.node);
  const models = new Set(gpus.map(gpu => `${gpuName(gpu)}${gpu.memoryMiB ? ` (${gpu.memoryMiB} MiB)` : ""}`));
  const counts = new Set(gpus.map(gpu => gpu.partitionCount));
  const warnings = [];
  if (models.size > 1) warnings.push(`Mixed GPU models: ${[...models].join(", ")}.`);
  if (counts.size > 1) warnings.push(`Mixed partition counts: ${[...counts].sort((a, b) => b - a).join(", ")}.`);
  for (const node of staleNodes) warnings.push(`Node ${node} has not reported for more than ${staleAfterMinutes ?? 30} min.`);
  for (const gpu of gpus.filter(g => g.pnpStatus !== "OK")) warnings.push(`GPU on ${gpu.node} has device status ${gpu.pnpStatus} (code ${gpu.pnpErrorCode}).`);
  return {
    gpus, total, free, assigned, staleNodes, warnings,
    homogeneous: models.size <= 1 && counts.size <= 1,
    vms: inventory.nodes.flatMap(node => node.vms.map(vm => ({ ...vm, node: node.node }))),
  };
}

// The counts every GPU of the cluster accepts: a cluster-wide change must be valid on each of them.
export function commonValidCounts(gpus) {
  if (gpus.length === 0) return [];
  return gpus.map(gpu => gpu.validPartitionCounts)
    .reduce((common, counts) => common.filter(count => counts.includes(count)))
    .sort((a, b) => b - a);
}

// In MiB when the driver reports the GPU's memory; otherwise as a share (Hyper-V's own VRAM figures are relative
// units, not bytes: see GpuInventory.MemoryMiB).
export function vramPerPartition(gpu, count) {
  if (!gpu?.memoryMiB) return `1/${count} of the GPU's VRAM`;
  const each = Math.floor(gpu.memoryMiB / count);
  return each >= 1024 ? `${(each / 1024).toFixed(each % 1024 ? 1 : 0)} GiB VRAM` : `${each} MiB VRAM`;
}

// "NVIDIA A2" rather than "NVIDIA NVIDIA A2": drivers often put the vendor in the model name already.
export function gpuName(gpu) {
  return gpu.model.toLowerCase().startsWith(gpu.vendor.toLowerCase()) ? gpu.model : `${gpu.vendor} ${gpu.model}`;
}
