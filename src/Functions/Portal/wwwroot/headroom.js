import { badge, encode, h, table } from "./dom.js";

// GET /api/clusters/{cluster}/headroom (HeadroomView): could the cluster restart every GPU VM of any one node on the
// others, per node what its loss would strand and where the VMs could go, and whether the policy's reserve holds.
// Which VMs failover restarts first is the cluster's choice (VM priority), so a shortfall names the node's GPU VMs
// as the ones at risk, not as a list of losers.

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function reserveLine(reserve, cluster) {
  const what = reserve.mode === "fixed" ? `fixed, ${plural(reserve.partitions, "partition", "partitions")} kept free`
    : reserve.mode === "n+1" ? "n+1, room to restart the GPU VMs of any one node"
    : "none";
  return h("p", { id: "reserve" },
    h("strong", {}, "Policy reserve: "), what, " ",
    reserve.mode === "none" ? null : reserve.holds ? badge("holds", "ok") : badge("breached", "bad"), " ",
    reserve.detail,
    reserve.mode === "none" ? null : ` A grant that would break it is ${reserve.onBreach === "warn" ? "accepted with a warning" : "refused (headroom-reserved)"}. `,
    h("a", { href: `#/clusters/${encode(cluster)}/policy` }, "Change the reserve"));
}

function strandCell(loss) {
  if (loss.gpuVms.length === 0) return h("td", {}, h("span", { class: "muted" }, "nothing: no GPU VM"));
  if (loss.short === 0) return h("td", {}, badge("none", "ok"));
  return h("td", { class: "bad-text" },
    h("strong", {}, `${loss.short} of ${plural(loss.gpuVms.length, "GPU VM", "GPU VMs")} would not restart`),
    h("div", {}, `At risk: ${loss.gpuVms.join(", ")} (the cluster picks which by VM priority).`));
}

function targetsCell(loss) {
  if (loss.restartTargets.length === 0) return h("td", {}, h("span", { class: loss.gpuVms.length ? "bad-text" : "muted" }, "nowhere: no free partition on another node"));
  return h("td", {}, loss.restartTargets.map(t => `${t.node} (${plural(t.freePartitions, "free partition", "free partitions")})`).join(", "));
}

export function headroomView(headroom, cluster, staleNodes) {
  const title = h("h2", { id: "headroom-title" }, "Failover headroom");
  const section = (...children) => h("section", { "aria-labelledby": "headroom-title", id: "headroom" }, title, ...children);
  if (headroom.error) {
    return section(h("p", { class: "bad-text" }, `Headroom unknown: ${headroom.error.message}${headroom.error.code ? ` (${headroom.error.code})` : ""}`));
  }
  const { nodes } = headroom;
  const gpuVms = nodes.reduce((sum, loss) => sum + loss.gpuVms.length, 0);
  let verdict;
  if (nodes.length === 0) {
    verdict = h("p", {}, badge("unknown", "busy"), " No node has reported inventory, so headroom can't be computed.");
  } else if (nodes.length === 1) {
    verdict = h("p", {}, badge("single node", gpuVms ? "bad" : "busy"),
      ` One node only: there is no other node to restart its GPU VMs on${gpuVms ? `; losing ${nodes[0].node} stops ${nodes[0].gpuVms.join(", ")}` : ""}.`);
  } else if (gpuVms === 0) {
    verdict = h("p", {}, badge("survives any one node's loss", "ok"), " No clustered VM holds a partition: there is nothing to restart.");
  } else if (headroom.survivesAnyNodeLoss) {
    verdict = h("p", {}, badge("survives any one node's loss", "ok"), " Every node's GPU VMs could restart on the other nodes' free partitions.");
  } else {
    const stranding = nodes.filter(loss => loss.short > 0);
    verdict = h("p", {}, badge("does not survive every node's loss", "bad"),
      ` Losing ${stranding.map(loss => `${loss.node} would strand ${loss.short}`).join("; losing ")} GPU VM${stranding.length === 1 && stranding[0].short === 1 ? "" : "s"}.`);
  }
  return section(
    verdict,
    headroom.reserve ? reserveLine(headroom.reserve, cluster) : null,
    nodes.length ? table("If one node is lost", ["Node lost", "Its GPU VMs", "Free partitions elsewhere", "Stranded", "Could restart on"],
      nodes.map(loss => h("tr", {},
        h("th", { scope: "row" }, loss.node, loss.node === headroom.worstNode && loss.short > 0 ? [" ", badge("worst", "bad")] : null),
        h("td", {}, loss.gpuVms.length ? loss.gpuVms.join(", ") : h("span", { class: "muted" }, "none")),
        h("td", { class: "num" }, loss.freeElsewhere),
        strandCell(loss),
        targetsCell(loss)))) : null,
    h("p", { class: "muted" }, "From the last inventory of each node; partitions taken by requests in flight are not subtracted.",
      staleNodes.length ? h("span", { class: "bad-text" }, ` Stale: ${staleNodes.join(", ")} — their figures may be out of date.`) : null));
}
