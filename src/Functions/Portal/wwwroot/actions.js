import { ApiError, change, read } from "./api.js";
import { badge, encode, h, replace } from "./dom.js";
import { duration, statusKind, terminal } from "./format.js";
import { commonValidCounts, vramPerPartition } from "./inventory.js";

const followMilliseconds = 1000;

// A modal <dialog>: focus moves into it, Escape closes it, focus returns to the control that opened it.
function openDialog(title, body, onClose) {
  const opener = document.activeElement;
  const heading = h("h2", { id: "dialog-title" }, title);
  const dialog = h("dialog", { "aria-labelledby": "dialog-title", class: "dialog" }, heading, body);
  // Following a link out of the dialog (e.g. to the request's page) closes it.
  const closeOnNavigation = () => dialog.close();
  window.addEventListener("hashchange", closeOnNavigation);
  dialog.addEventListener("close", () => {
    window.removeEventListener("hashchange", closeOnNavigation);
    dialog.remove();
    onClose?.();
    if (opener instanceof HTMLElement) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

export function problemView(error) {
  if (error instanceof ApiError) {
    const what = error.status === 401 ? "Not signed in (401)" : error.status === 403 ? "Forbidden (403)" : `${error.title ?? "Refused"} (${error.status})`;
    return h("div", { class: "panel bad", role: "alert" }, h("strong", {}, what), h("p", {}, error.message),
      error.code ? h("p", { class: "muted" }, `Code: ${error.code}`) : null);
  }
  return h("div", { class: "panel bad", role: "alert" }, h("strong", {}, "Not sent"), h("p", {}, error.message));
}

export function stepsView(steps) {
  if (!steps.length) return h("p", { class: "muted" }, "No step reported yet.");
  return h("ol", { class: "timeline" }, steps.map(step => h("li", { class: statusKind(step.outcome) },
    h("span", { class: "step-name" }, step.name), " ", badge(step.outcome, statusKind(step.outcome)),
    h("span", { class: "muted" }, ` ${duration(step.startedAt, step.endedAt)}`),
    step.detail ? h("div", { class: "step-detail" }, step.detail) : null)));
}

// Follows requests until each ends, re-drawing their status and steps in place; resolves with the final views.
export async function follow(requests, container, onDone) {
  const views = new Map(requests.map(r => [r.id, r]));
  const draw = () => replace(container, [...views.values()].map(request => h("section", { class: "followed" },
    h("p", {}, h("a", { href: `#/requests/${encode(request.id)}` }, `Request ${request.id}`), ` on ${request.node}: `,
      h("span", { class: "request-status" }, badge(request.status, statusKind(request.status)))),
    request.error ? h("p", { class: "bad-text" }, `${request.error.message} (${request.error.code})`) : null,
    stepsView(request.steps))));
  draw();
  while ([...views.values()].some(r => !terminal.has(r.status))) {
    await new Promise(resolve => setTimeout(resolve, followMilliseconds));
    if (!container.isConnected) return;
    for (const request of views.values()) {
      if (terminal.has(request.status)) continue;
      try {
        views.set(request.id, await read(`/api/partition-requests/${encode(request.id)}`));
      } catch {
        // The banner says when the control plane is down; keep following.
      }
    }
    draw();
  }
  onDone?.([...views.values()]);
}

function confirmArea(summary, confirmLabel, act, dismissLabel = "Cancel") {
  const status = h("div", { class: "follow", "aria-live": "polite" });
  const confirm = h("button", { type: "button", class: "primary", id: "dialog-confirm" }, confirmLabel);
  const cancel = h("button", { type: "button", id: "dialog-cancel" }, dismissLabel);
  const area = h("div", {}, summary, h("div", { class: "buttons" }, confirm, cancel), status);
  cancel.addEventListener("click", () => area.closest("dialog").close());
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    replace(status, h("p", { class: "muted" }, "Sending…"));
    try {
      const requests = await act();
      cancel.textContent = "Close";
      await follow(requests, status);
    } catch (error) {
      replace(status, problemView(error));
      // A refusal that depends on state (409) won't change by clicking again: e.g. a request no longer queued.
      confirm.disabled = error instanceof ApiError && error.status === 409;
      if (confirm.disabled) cancel.textContent = "Close";
    }
  });
  return area;
}

function whatHappens(vm, node, gpuText) {
  const running = vm.powerState === "Running";
  return h("p", { class: "what" },
    `VM ${vm.name} will ${running ? "be shut down (forced), " : "(now off) "}get a partition on ${gpuText} of node ${node}, `
    + "its cluster resource's OfflineAction set to forced shutdown"
    + (running ? ", then be started again." : "; it stays off."));
}

export function assignDialog(cluster, vm, summary, onChanged) {
  const freeGpus = summary.gpus.filter(gpu => gpu.node === vm.node && gpu.freePartitions > 0);
  const gpuSelect = h("select", { id: "assign-gpu" },
    h("option", { value: "" }, "Any GPU with a free partition (Hyper-V picks)"),
    freeGpus.map((gpu, i) => h("option", { value: gpu.instancePath }, `GPU ${i + 1}: ${gpu.model}, ${gpu.freePartitions} free`)));
  const text = h("div", {});
  const describe = () => replace(text, whatHappens(vm, vm.node, gpuSelect.value
    ? `GPU ${gpuSelect.selectedOptions[0].textContent.split(":")[0].replace("GPU ", "")} (${freeGpus.find(g => g.instancePath === gpuSelect.value).model})`
    : "a GPU Hyper-V picks"));
  gpuSelect.addEventListener("change", describe);
  describe();
  openDialog(`Assign a GPU partition to ${vm.name}`, confirmArea(
    h("div", {}, h("label", { for: "assign-gpu" }, "GPU"), gpuSelect, text),
    "Assign partition",
    async () => [await change("POST", "/api/partition-requests",
      { cluster, vm: vm.name, action: "assign", node: vm.node, ...(gpuSelect.value ? { gpu: gpuSelect.value } : {}) })]), onChanged);
}

export function unassignDialog(cluster, vm, onChanged) {
  const running = vm.powerState === "Running";
  openDialog(`Remove the GPU partition of ${vm.name}`, confirmArea(
    h("p", { class: "what" }, `VM ${vm.name} on node ${vm.node} will ${running ? "be shut down (forced), " : "(now off) "}lose its GPU partition`
      + (running ? ", then be started again." : "; it stays off.")),
    "Remove partition",
    async () => [await change("POST", "/api/partition-requests", { cluster, vm: vm.name, action: "unassign", node: vm.node })]), onChanged);
}

export function countDialog(cluster, summary, onChanged) {
  const counts = commonValidCounts(summary.gpus);
  const sample = summary.gpus[0];
  const current = sample?.partitionCount;
  const select = h("select", { id: "count-select", "aria-describedby": "count-effect" },
    counts.map(count => h("option", { value: count, selected: count === current },
      `${count} partition${count === 1 ? "" : "s"} — ${vramPerPartition(sample, count)} each${count === current ? " (current)" : ""}`)));
  const effect = h("div", { id: "count-effect" });
  const holders = summary.gpus.flatMap(gpu => gpu.partitions.map(p => `${p.vmName} (${gpu.node})`));
  const nodes = [...new Set(summary.gpus.map(gpu => gpu.node))];
  const describe = () => replace(effect,
    h("p", { class: "what" }, `All ${summary.gpus.length} GPUs on ${nodes.join(", ")} will be set to ${select.value} partitions `
      + `of ${vramPerPartition(sample, Number(select.value))} each; one request per node.`),
    holders.length
      ? h("p", { class: "bad-text", role: "note" }, `Refused while partitions are assigned: ${holders.join(", ")}. Remove them first.`)
      : null);
  select.addEventListener("change", describe);
  describe();
  const area = confirmArea(h("div", {}, h("label", { for: "count-select" }, "Partitions per GPU (valid counts only)"), select, effect),
    "Change partition count",
    async () => (await change("PUT", `/api/clusters/${encode(cluster)}/partition-count`, { partitionCount: Number(select.value) })).requests);
  openDialog(`Partition count of ${cluster}`, area, onChanged);
  if (holders.length) area.querySelector("#dialog-confirm").disabled = true;
}

// Ends a queued request (POST …/cancel, Operator). Once it was admitted or ended meanwhile the API answers 409
// not-queued; that is said in words, since the list behind the dialog may still show it queued until the next poll.
export function cancelQueuedDialog(request, onChanged) {
  const area = confirmArea(
    h("p", { class: "what" }, `Request ${request.id} (assign a partition to ${request.vm} on node ${request.node}) will leave the queue `
      + "and end Cancelled; nothing is sent to the node. The VM keeps running as it is."),
    "Cancel the request",
    async () => {
      try {
        return [await change("POST", `/api/partition-requests/${encode(request.id)}/cancel`)];
      } catch (error) {
        if (error instanceof ApiError && error.code === "not-queued") {
          error.message = `It is no longer queued, so it can't be cancelled: ${error.message}`;
        }
        throw error;
      }
    },
    "Keep it queued");
  openDialog(`Cancel queued request for ${request.vm}`, area, onChanged);
}
