import { encode, h, table } from "./dom.js";
import { when } from "./format.js";
import { cancelQueuedDialog } from "./actions.js";

// A cluster's Queued requests (GET /api/partition-requests?cluster=…&status=Queued), in admission order: priority
// first (higher first), then oldest; the API gives each its queuePosition (1: admitted next when capacity frees).
// Times are absolute: the page re-renders only when the data changes, so a relative "waiting for" would go stale.

function byPosition(a, b) {
  return (a.queuePosition ?? Number.MAX_SAFE_INTEGER) - (b.queuePosition ?? Number.MAX_SAFE_INTEGER)
    || (b.queuePriority ?? 0) - (a.queuePriority ?? 0)
    || new Date(a.createdAt) - new Date(b.createdAt);
}

export function queueView(list, context) {
  const operator = context.caller?.canOperate;
  const queued = list.requests.filter(r => r.status === "Queued").sort(byPosition);
  return h("section", { "aria-labelledby": "queue-title", id: "queue" },
    h("h2", { id: "queue-title" }, "Queued requests"),
    h("p", { class: "muted" }, queued.length
      ? `${queued.length} waiting for capacity; when a partition frees, the highest priority, then the oldest, that fits is admitted.`
      : "No request is waiting for capacity."),
    queued.length ? table("Queued requests, next admitted first",
      ["Position", "Request", "VM", "Node", "Priority", "Waiting since", "Expires", "Waiting because", ...(operator ? ["Action"] : [])],
      queued.map(r => h("tr", {},
        h("td", { class: "num" }, r.queuePosition ?? "—"),
        h("th", { scope: "row" }, h("a", { href: `#/requests/${encode(r.id)}` }, r.id)),
        h("td", {}, r.vm ?? "—"),
        h("td", {}, r.node),
        h("td", { class: "num" }, r.queuePriority ?? 0),
        h("td", {}, when(r.createdAt)),
        h("td", {}, when(r.queuedUntil)),
        h("td", {}, r.warnings.length ? r.warnings.map(w => h("div", {}, `${w.message} (${w.code})`)) : "—"),
        operator ? h("td", {}, h("button", { type: "button", onclick: () => cancelQueuedDialog(r, context.refresh) },
          "Cancel", h("span", { class: "sr" }, ` queued request for ${r.vm}`))) : null))) : null,
    list.continuationToken ? h("p", { class: "muted" }, "More queued requests exist than shown; see the Requests page filtered on Queued.") : null);
}
