import { ApiError, get } from "./api.js";
import { badge, encode, h, table } from "./dom.js";
import { age, mib } from "./format.js";
import { loadCluster, openFindings } from "./fleet.js";
import { commonValidCounts, gpuName, summarize, vramPerPartition } from "./inventory.js";
import { assignDialog, countDialog, unassignDialog } from "./actions.js";
import { headroomView } from "./headroom.js";
import { queueView } from "./queue.js";

const queuePageSize = 200;

// The headroom and queue panels fail on their own: a refusal there (e.g. an API without them) leaves the rest of the page.
async function orProblem(read) {
  try {
    return await read;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { changed: true, data: { error } };
  }
}

async function loadClusterPage(cluster) {
  const base = `/api/clusters/${encode(cluster)}`;
  const [page, headroom, queued] = await Promise.all([
    loadCluster(cluster).catch(error => {
      // A cluster is known from its nodes' reports: before the first one there is nothing to show but that.
      if (error instanceof ApiError && error.code === "unknown-cluster") return { changed: true, data: { missing: error } };
      throw error;
    }),
    orProblem(get(`${base}/headroom`)),
    orProblem(get(`/api/partition-requests?cluster=${encode(cluster)}&status=Queued&pageSize=${queuePageSize}`)),
  ]);
  return {
    changed: page.changed || headroom.changed || queued.changed,
    data: { ...page.data, headroom: headroom.data, queued: queued.data },
  };
}

export function vmActions(cluster, vm, summary, context) {
  if (!context.caller?.canOperate) return null;
  if (vm.partition) {
    return h("button", { type: "button", onclick: () => unassignDialog(cluster, vm, context.refresh) }, "Remove partition", h("span", { class: "sr" }, ` of ${vm.name}`));
  }
  const free = summary.gpus.some(gpu => gpu.node === vm.node && gpu.freePartitions > 0);
  if (!free || !vm.isClustered) return h("span", { class: "muted" }, free ? "not clustered" : "no free partition on node");
  return h("button", { type: "button", onclick: () => assignDialog(cluster, vm, summary, context.refresh) }, "Assign partition", h("span", { class: "sr" }, ` to ${vm.name}`));
}

function gpuCell(gpu, index) {
  return h("td", { class: "gpu" },
    h("div", {}, h("strong", {}, `GPU ${index + 1}: ${gpuName(gpu)}`)),
    h("div", {}, `${gpu.memoryMiB ? mib(gpu.memoryMiB) : "memory not reported"} · ${gpu.assignedStatus} · device ${gpu.pnpStatus}${gpu.driverVersion ? ` · driver ${gpu.driverVersion}` : ""}`),
    h("div", {}, `${gpu.partitionCount} partitions of ${vramPerPartition(gpu, gpu.partitionCount || 1)}; ${gpu.freePartitions} free`),
    h("div", { class: "muted" }, `Valid counts: ${gpu.validPartitionCounts.join(", ")}`),
    gpu.partitions.length
      ? h("ul", { class: "partitions" }, gpu.partitions.map(p => h("li", {}, `Partition ${p.partitionId}: ${p.vmName}`)))
      : h("div", { class: "muted" }, "No partition assigned"));
}

export const clusterPage = {
  title: "Cluster",
  load: ([cluster]) => loadClusterPage(cluster),
  view({ missing, inventory, policy, compliance, headroom, queued }, [cluster], context) {
    if (missing) {
      return h("section", { "aria-labelledby": "page-title" },
        h("h1", { id: "page-title" }, `Cluster ${cluster}`),
        h("p", { class: "panel" }, `No node of cluster ${cluster} has reported inventory yet, so it has no GPUs, VMs or headroom to show. `
          + "Nodes appear once their agent reports (they must be registered for the cluster). ",
          h("a", { href: `#/clusters/${encode(cluster)}/policy` }, "Its policy can be set already.")),
        headroomView({ nodes: [], reserve: null }, cluster, []));
    }
    const s = summarize(inventory, policy.staleInventoryAfterMinutes);
    const width = Math.max(0, ...inventory.nodes.map(node => node.gpus.length));
    const counts = commonValidCounts(s.gpus);
    const findings = openFindings(compliance);
    return h("section", { "aria-labelledby": "page-title" },
      h("h1", { id: "page-title" }, `Cluster ${cluster}`),
      h("p", { class: "kpis" },
        badge(`${inventory.nodes.length} nodes`), " ", badge(`${s.gpus.length} GPUs`), " ",
        badge(`${s.total} partitions`), " ", badge(`${s.free} free`, s.free ? "ok" : "bad"), " ", badge(`${s.assigned} assigned`), " ",
        s.homogeneous ? badge("homogeneous", "ok") : badge("mixed", "bad"), " ",
        h("a", { href: `#/clusters/${encode(cluster)}/compliance` }, findings.length ? `${findings.length} open findings` : "compliance"), " · ",
        h("a", { href: `#/clusters/${encode(cluster)}/policy` }, "policy")),
      s.warnings.length ? h("ul", { class: "warnings", "aria-label": "Warnings" }, s.warnings.map(w => h("li", {}, w))) : null,
      h("p", {}, `Valid partition counts for every GPU: ${counts.join(", ") || "none"}. `,
        context.caller?.canOperate && s.gpus.length
          ? h("button", { type: "button", id: "change-count", onclick: () => countDialog(cluster, s, context.refresh) }, "Change partition count…")
          : null),
      table("GPUs by node", ["Node", ...Array.from({ length: width }, (_, i) => `GPU ${i + 1}`)],
        inventory.nodes.map(node => h("tr", {},
          h("th", { scope: "row" }, node.node, h("div", { class: "muted" }, `reported ${age(node.ageSeconds)} ago`),
            s.staleNodes.includes(node.node) ? badge("stale", "bad") : null),
          node.gpus.map(gpuCell),
          Array.from({ length: width - node.gpus.length }, () => h("td", {}))))),
      table("VMs", ["VM", "Node", "Power", "Partition", "OfflineAction", ...(context.caller?.canOperate ? ["Action"] : [])],
        s.vms.map(vm => h("tr", {},
          h("th", { scope: "row" }, vm.name),
          h("td", {}, vm.node),
          h("td", {}, vm.powerState),
          h("td", {}, vm.partition ? `yes${vm.partition.partitionId !== null ? ` (#${vm.partition.partitionId})` : ""}` : "—"),
          h("td", {}, vm.offlineAction ?? "not clustered"),
          context.caller?.canOperate ? h("td", {}, vmActions(cluster, vm, s, context)) : null))),
      headroomView(headroom, cluster, s.staleNodes),
      queued.error
        ? h("section", { id: "queue" }, h("h2", {}, "Queued requests"), h("p", { class: "bad-text" }, `Queue unknown: ${queued.error.message}`))
        : queueView(queued, context));
  },
};
