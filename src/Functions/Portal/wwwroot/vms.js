import { get } from "./api.js";
import { encode, h, replace, table } from "./dom.js";
import { loadCluster } from "./fleet.js";
import { summarize } from "./inventory.js";
import { vmActions } from "./cluster.js";

const filters = { text: "", cluster: "", power: "", partition: "" };

// PowerShell -like semantics (the policy's namePattern): * any run, ? one character, case-insensitive.
function wildcard(pattern) {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "i");
}

// The first rule that can match from what the inventory shows; rules needing Azure tags or VM notes are named as
// conditional, since neither is in the inventory.
export function matchingRule(policy, vm) {
  for (const rule of policy.rules ?? []) {
    if (rule.namePattern && !wildcard(rule.namePattern).test(vm.name)) continue;
    const needs = [rule.azureTags && Object.keys(rule.azureTags).length ? "Azure tags" : null, rule.notesMarker ? "notes marker" : null].filter(Boolean);
    return needs.length ? `${rule.name} (if ${needs.join(" and ")} match)` : rule.name;
  }
  return "none";
}

function select(id, label, value, options, onChange) {
  const element = h("select", { id }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
  element.addEventListener("change", () => onChange(element.value));
  return h("div", { class: "field" }, h("label", { for: id }, label), element);
}

export const vmsPage = {
  title: "VMs",
  async load() {
    const list = await get("/api/clusters");
    const clusters = await Promise.all(list.data.clusters.map(c => loadCluster(c.cluster)));
    return {
      changed: list.changed || clusters.some(c => c.changed),
      data: list.data.clusters.map((c, i) => ({ cluster: c.cluster, ...clusters[i].data })),
    };
  },
  view(clusters, _, context) {
    const rows = clusters.flatMap(c => {
      const s = summarize(c.inventory, c.policy.staleInventoryAfterMinutes);
      return s.vms.map(vm => ({ cluster: c.cluster, vm, s, rule: matchingRule(c.policy, vm) }));
    });
    const results = h("div", {});
    const draw = () => {
      const text = filters.text.toLowerCase();
      const shown = rows.filter(({ cluster, vm }) =>
        (!text || vm.name.toLowerCase().includes(text) || vm.node.toLowerCase().includes(text))
        && (!filters.cluster || cluster === filters.cluster)
        && (!filters.power || vm.powerState === filters.power)
        && (!filters.partition || (filters.partition === "yes") === Boolean(vm.partition)));
      replace(results, h("p", { class: "muted", "aria-live": "polite" }, `${shown.length} of ${rows.length} VMs`),
        table("VMs in every cluster", ["VM", "Cluster", "Node", "Power", "Partition", "OfflineAction", "Policy rule", ...(context.caller?.canOperate ? ["Action"] : [])],
          shown.map(({ cluster, vm, s, rule }) => h("tr", {},
            h("th", { scope: "row" }, vm.name),
            h("td", {}, h("a", { href: `#/clusters/${encode(cluster)}` }, cluster)),
            h("td", {}, vm.node),
            h("td", {}, vm.powerState),
            h("td", {}, vm.partition ? "yes" : "—"),
            h("td", {}, vm.offlineAction ?? "not clustered"),
            h("td", {}, rule),
            context.caller?.canOperate ? h("td", {}, vmActions(cluster, vm, s, context)) : null))));
    };
    const search = h("input", { id: "vm-search", type: "search", value: filters.text, autocomplete: "off" });
    search.addEventListener("input", () => { filters.text = search.value; draw(); });
    draw();
    const powers = [...new Set(rows.map(r => r.vm.powerState))].sort();
    return h("section", { "aria-labelledby": "page-title" },
      h("h1", { id: "page-title" }, "VMs"),
      h("div", { class: "filters", role: "search" },
        h("div", { class: "field" }, h("label", { for: "vm-search" }, "Search name or node"), search),
        select("vm-cluster", "Cluster", filters.cluster, [["", "All"], ...clusters.map(c => [c.cluster, c.cluster])], v => { filters.cluster = v; draw(); }),
        select("vm-power", "Power", filters.power, [["", "All"], ...powers.map(p => [p, p])], v => { filters.power = v; draw(); }),
        select("vm-partition", "Partition", filters.partition, [["", "All"], ["yes", "Has one"], ["no", "Has none"]], v => { filters.partition = v; draw(); })),
      results);
  },
};
