import { get } from "./api.js";
import { badge, encode, h, table } from "./dom.js";
import { age } from "./format.js";
import { summarize } from "./inventory.js";

// Per cluster: inventory, policy (for its staleness threshold) and compliance (open findings).
export async function loadCluster(cluster) {
  const base = `/api/clusters/${encode(cluster)}`;
  const [inventory, policy, compliance] = await Promise.all([get(`${base}/inventory`), get(`${base}/policy`), get(`${base}/compliance`)]);
  return {
    changed: inventory.changed || policy.changed || compliance.changed,
    data: { inventory: inventory.data, policy: policy.data, compliance: compliance.data },
  };
}

export function openFindings(compliance) {
  return (compliance?.latest?.findings ?? []).filter(finding => finding.severity !== "Info");
}

export const fleetPage = {
  title: "Fleet",
  async load() {
    const list = await get("/api/clusters");
    const clusters = await Promise.all(list.data.clusters.map(c => loadCluster(c.cluster)));
    return {
      changed: list.changed || clusters.some(c => c.changed),
      data: list.data.clusters.map((summary, i) => ({ summary, ...clusters[i].data })),
    };
  },
  view(clusters) {
    const rows = clusters.map(({ summary, inventory, policy, compliance }) => {
      const s = summarize(inventory, policy.staleInventoryAfterMinutes);
      const findings = openFindings(compliance);
      return h("tr", {},
        h("th", { scope: "row" }, h("a", { href: `#/clusters/${encode(summary.cluster)}` }, summary.cluster)),
        h("td", { class: "num" }, inventory.nodes.length),
        h("td", { class: "num" }, s.gpus.length),
        h("td", { class: "num" }, s.total),
        h("td", { class: "num" }, s.free),
        h("td", { class: "num" }, s.assigned),
        h("td", {}, age(inventory.inventoryAgeSeconds), s.staleNodes.length ? [" ", badge(`stale: ${s.staleNodes.join(", ")}`, "bad")] : null),
        h("td", {}, s.homogeneous ? badge("homogeneous", "ok") : badge("mixed", "bad")),
        h("td", {}, h("a", { href: `#/clusters/${encode(summary.cluster)}/compliance` },
          findings.length ? badge(`${findings.length} open`, "bad") : compliance.latest ? badge("compliant", "ok") : "not scanned")));
    });
    return h("section", { "aria-labelledby": "page-title" },
      h("h1", { id: "page-title" }, "Fleet"),
      h("p", { class: "muted" }, `${clusters.length} cluster${clusters.length === 1 ? "" : "s"}; updated live.`),
      table("Clusters and their GPU partitions",
        ["Cluster", "Nodes", "GPUs", "Partitions", "Free", "Assigned", "Inventory age", "Homogeneity", "Compliance"], rows));
  },
};
