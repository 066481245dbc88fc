import { get } from "./api.js";
import { badge, encode, h, replace, table } from "./dom.js";
import { duration, statusKind, when } from "./format.js";
import { stepsView } from "./actions.js";

const filters = { cluster: "", vm: "", status: "", origin: "", since: "" };
const statuses = ["Queued", "Accepted", "Dispatched", "Running", "Succeeded", "Failed", "Rejected", "TimedOut", "Expired", "Cancelled"];

function query() {
  const parts = [["cluster", filters.cluster], ["vm", filters.vm], ["status", filters.status]].filter(([, v]) => v);
  return parts.length ? `?${parts.map(([k, v]) => `${k}=${encode(v)}`).join("&")}` : "";
}

function field(id, label, control) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

// PlacementView: the VM had no free partition on its node, so the policy moved it (or is moving it) to another.
function placedText(p) {
  return `placed on ${p.to} from ${p.from}`;
}

function placementFact(p) {
  return h("div", { id: "placement" },
    h("strong", {}, placedText(p)), ` by ${p.mode === "live" ? "live migration" : "a quick move"}; `,
    p.moved ? `moved (${p.moved}).` : "still moving.",
    h("div", { class: "muted" }, p.reason),
    p.withoutPartition ? h("p", { class: "bad-text" }, `${p.withoutPartition.message} (${p.withoutPartition.code})`) : null,
    h("div", {}, h("a", { href: `#/requests/${encode(p.moveRequestId)}` }, "Move request"), " · ",
      h("a", { href: `#/requests/${encode(p.assignRequestId)}` }, "Assign request"),
      ...(p.lateAssignRequestId ? [" · ", h("a", { href: `#/requests/${encode(p.lateAssignRequestId)}` }, "Assign after the late move")] : [])));
}

export const requestsPage = {
  title: "Requests",
  async load() {
    const [list, clusters] = await Promise.all([get(`/api/partition-requests${query()}`), get("/api/clusters")]);
    return { changed: list.changed || clusters.changed, data: { list: list.data, clusters: clusters.data.clusters } };
  },
  view({ list, clusters }, _, context) {
    const since = filters.since ? Date.now() - Number(filters.since) * 3600_000 : 0;
    const shown = list.requests.filter(r => (!filters.origin || r.origin === filters.origin) && new Date(r.createdAt).getTime() >= since);
    const origins = [...new Set(list.requests.map(r => r.origin))].sort();
    const control = (id, key, element) => {
      element.addEventListener("change", () => { filters[key] = element.value; context.refresh(); });
      return element;
    };
    const options = (value, pairs) => pairs.map(([v, text]) => h("option", { value: v, selected: v === value }, text));
    return h("section", { "aria-labelledby": "page-title" },
      h("h1", { id: "page-title" }, "Requests"),
      h("form", { class: "filters", role: "search", onsubmit: e => { e.preventDefault(); filters.vm = e.target.elements["req-vm"].value.trim(); context.refresh(); } },
        field("req-cluster", "Cluster", control("req-cluster", "cluster", h("select", { id: "req-cluster" }, options(filters.cluster, [["", "All"], ...clusters.map(c => [c.cluster, c.cluster])])))),
        field("req-status", "Status", control("req-status", "status", h("select", { id: "req-status" }, options(filters.status, [["", "All"], ...statuses.map(s => [s, s])])))),
        field("req-origin", "Origin", control("req-origin", "origin", h("select", { id: "req-origin" }, options(filters.origin, [["", "All"], ...origins.map(o => [o, o])])))),
        field("req-since", "Created", control("req-since", "since", h("select", { id: "req-since" }, options(filters.since, [["", "Any time"], ["1", "Last hour"], ["24", "Last day"], ["168", "Last week"]])))),
        field("req-vm", "VM", h("input", { id: "req-vm", name: "req-vm", type: "search", value: filters.vm })),
        h("button", { type: "submit" }, "Filter")),
      table("Partition requests, newest first", ["Request", "Action", "Cluster", "Node", "VM", "Status", "Origin", "Requested by", "Created"],
        shown.map(r => h("tr", {},
          h("th", { scope: "row" }, h("a", { href: `#/requests/${encode(r.id)}` }, r.id)),
          h("td", {}, r.action + (r.partitionCount ? ` → ${r.partitionCount}` : "")),
          h("td", {}, r.cluster), h("td", {}, r.node, r.placement ? h("div", { class: "muted" }, placedText(r.placement)) : null), h("td", {}, r.vm ?? "—"),
          h("td", {}, badge(r.status, statusKind(r.status))),
          h("td", {}, r.origin), h("td", {}, r.requestedBy), h("td", {}, when(r.createdAt))))),
      list.continuationToken ? h("p", { class: "muted" }, "Older requests exist; narrow the filters to see them.") : null);
  },
};

export const requestPage = {
  title: "Request",
  async load([id]) {
    return get(`/api/partition-requests/${encode(id)}`);
  },
  view(r) {
    const facts = [
      ["Status", badge(r.status, statusKind(r.status))], ["Action", r.action], ["Cluster", r.cluster], ["Node", r.node],
      ["VM", r.vm ?? "—"], ["Partition count", r.partitionCount ?? "—"], ["GPUs", r.gpus.length ? r.gpus.join(", ") : "Hyper-V picks"],
      ["Origin", r.origin], ["Requested by", r.requestedBy], ["OfflineAction", r.offlineAction ?? "—"],
      ["Created", when(r.createdAt)], ["Completed", r.completedAt ? `${when(r.completedAt)} (${duration(r.createdAt, r.completedAt)})` : "still running"],
      ["Command", r.commandId ?? "—"],
      ...(r.placement ? [["Placement", placementFact(r.placement)]] : []),
      ...(r.status === "Queued"
        ? [["Queue position", r.queuePosition ?? "—"], ["Queue priority", r.queuePriority ?? 0], ["Expires", when(r.queuedUntil)]]
        : []),
    ];
    const steps = h("div", {});
    replace(steps, stepsView(r.steps));
    return h("section", { "aria-labelledby": "page-title" },
      h("h1", { id: "page-title" }, `Request ${r.id}`),
      h("p", {}, h("a", { href: "#/requests" }, "All requests")),
      h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      r.error ? h("div", { class: "panel bad" }, h("strong", {}, "Error "), h("code", {}, r.error.code), h("p", {}, r.error.message)) : null,
      r.warnings.length ? h("ul", { class: "warnings", "aria-label": "Warnings" }, r.warnings.map(w => h("li", {}, `${w.message} (${w.code})`))) : null,
      h("h2", {}, "Steps"), steps);
  },
};
