import { ApiError, change, get } from "./api.js";
import { encode, h, replace } from "./dom.js";
import { problemView } from "./actions.js";

const offlineActions = ["ForceShutdown", "Shutdown", "Save", "TurnOff"];

// "rules[0].name: must be ..." or "... not valid at rules[0].offlineAction: ..." → the field's element id.
export function fieldOf(problem) {
  const match = /^([a-zA-Z]+(?:\[\d+\])?(?:\.[a-zA-Z]+)*):/.exec(problem) ?? / at ([a-zA-Z]+(?:\[\d+\])?(?:\.[a-zA-Z]+)*):/.exec(problem);
  return match ? `policy-${match[1].replace(/\[(\d+)\]/g, "-$1").replace(/\./g, "-")}` : null;
}

function clusterPicker(clusters, cluster, suffix) {
  const picker = h("select", { id: "policy-cluster" }, clusters.map(c => h("option", { value: c.cluster, selected: c.cluster === cluster }, c.cluster)));
  picker.addEventListener("change", () => { location.hash = `#/clusters/${encode(picker.value)}/${suffix}`; });
  return h("div", { class: "field" }, h("label", { for: "policy-cluster" }, "Cluster"), picker);
}

export async function loadForCluster(params, path) {
  const clusters = (await get("/api/clusters")).data.clusters;
  const cluster = params[0] ?? clusters[0]?.cluster;
  if (!cluster) return { changed: true, data: { clusters, cluster: null, value: null } };
  const value = await get(`/api/clusters/${encode(cluster)}/${path}`);
  return { changed: value.changed, data: { clusters, cluster, value: value.data } };
}

function input(id, label, attributes, hint) {
  return h("div", { class: "field" }, h("label", { for: id }, label),
    h("input", { id, name: id, ...attributes, "aria-describedby": hint ? `${id}-hint` : null }),
    hint ? h("div", { class: "muted", id: `${id}-hint` }, hint) : null);
}

function check(id, label, checked) {
  return h("div", { class: "field check" }, h("input", { id, name: id, type: "checkbox", checked }), h("label", { for: id }, label));
}

function ruleFieldset(rule, i, canEdit) {
  const prefix = `policy-rules-${i}`;
  const tags = Object.entries(rule.azureTags ?? {}).map(([k, v]) => `${k}=${v}`).join("\n");
  return h("fieldset", { class: "rule", id: prefix, "data-rule": i },
    h("legend", {}, `Rule ${i + 1}`),
    input(`${prefix}-name`, "Name", { value: rule.name ?? "", required: true }),
    input(`${prefix}-namePattern`, "VM name pattern", { value: rule.namePattern ?? "" }, "Wildcards * and ?, case-insensitive."),
    h("div", { class: "field" }, h("label", { for: `${prefix}-azureTags` }, "Azure tags (name=value per line)"),
      h("textarea", { id: `${prefix}-azureTags`, rows: 2 }, tags)),
    input(`${prefix}-notesMarker`, "VM notes marker", { value: rule.notesMarker ?? "" }),
    h("div", { class: "field" }, h("label", { for: `${prefix}-offlineAction` }, "OfflineAction"),
      h("select", { id: `${prefix}-offlineAction` }, offlineActions.map(a => h("option", { value: a, selected: a === rule.offlineAction }, a)))),
    check(`${prefix}-assignPartition`, "Assign a GPU partition", rule.assignPartition ?? true),
    check(`${prefix}-startAfter`, "Start the VM afterwards even if it was off", rule.startAfter ?? false),
    canEdit ? h("button", { type: "button", class: "remove-rule", "data-remove": i }, `Remove rule ${i + 1}`) : null);
}

function readForm(form) {
  const value = id => form.querySelector(`#${id}`).value;
  const checked = id => form.querySelector(`#${id}`).checked;
  const optional = id => value(id).trim() || null;
  const number = id => (value(id).trim() === "" ? null : Number(value(id)));
  const rules = [...form.querySelectorAll("fieldset.rule")].map(fieldset => {
    const p = fieldset.id;
    const tags = value(`${p}-azureTags`).split("\n").map(l => l.trim()).filter(Boolean)
      .map(line => { const at = line.indexOf("="); return at < 0 ? [line, "*"] : [line.slice(0, at).trim(), line.slice(at + 1).trim()]; });
    return {
      name: value(`${p}-name`).trim(),
      namePattern: optional(`${p}-namePattern`),
      azureTags: tags.length ? Object.fromEntries(tags) : null,
      notesMarker: optional(`${p}-notesMarker`),
      assignPartition: checked(`${p}-assignPartition`),
      offlineAction: value(`${p}-offlineAction`),
      startAfter: checked(`${p}-startAfter`),
    };
  });
  return {
    rules,
    remediation: {
      fixOfflineAction: checked("policy-remediation-fixOfflineAction"),
      assignMissingPartitions: checked("policy-remediation-assignMissingPartitions"),
      removeUnselectedPartitions: checked("policy-remediation-removeUnselectedPartitions"),
      maxRequestsPerScan: number("policy-remediation-maxRequestsPerScan"),
    },
    staleInventoryAfterMinutes: number("policy-staleInventoryAfterMinutes"),
  };
}

// Each problem goes next to its field (aria-invalid + aria-describedby); the rest into the summary at the top.
function showProblems(form, summary, problems) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  for (const old of form.querySelectorAll("[aria-invalid]")) { old.removeAttribute("aria-invalid"); old.setAttribute("aria-describedby", old.dataset.describedby ?? ""); }
  const unplaced = [];
  problems.forEach((problem, n) => {
    let id = fieldOf(problem);
    let target = id && form.querySelector(`#${id}`);
    if (target?.tagName === "FIELDSET") target = target.querySelector("input");
    if (!target) { unplaced.push(problem); return; }
    const errorId = `policy-error-${n}`;
    target.setAttribute("aria-invalid", "true");
    target.dataset.describedby = target.getAttribute("aria-describedby") ?? "";
    target.setAttribute("aria-describedby", `${target.dataset.describedby} ${errorId}`.trim());
    target.closest(".field").append(h("p", { class: "field-error", id: errorId }, problem));
  });
  replace(summary, h("div", { class: "panel bad", role: "alert" },
    h("strong", {}, `The policy was not saved: ${problems.length} problem${problems.length === 1 ? "" : "s"}.`),
    unplaced.length ? h("ul", {}, unplaced.map(p => h("li", {}, p))) : h("p", {}, "Each is shown at its field.")));
  form.querySelector("[aria-invalid]")?.focus();
}

export const policyPage = {
  title: "Policy",
  live: false, // an edit in progress is never replaced by a poll
  load: params => loadForCluster(params, "policy"),
  view({ clusters, cluster, value: policy }, _, context) {
    if (!cluster) return h("section", {}, h("h1", { id: "page-title" }, "Policy"), h("p", {}, "No cluster has reported yet."));
    const canEdit = Boolean(context.caller?.canOperate);
    const remediation = policy.remediation ?? { fixOfflineAction: true, assignMissingPartitions: false, removeUnselectedPartitions: false, maxRequestsPerScan: 5 };
    const rulesArea = h("div", {});
    const summary = h("div", { "aria-live": "polite" });
    const drawRules = rules => replace(rulesArea, rules.length ? rules.map((r, i) => ruleFieldset(r, i, canEdit)) : h("p", { class: "muted" }, "No rule: the policy selects no VM."));
    drawRules(policy.rules ?? []);
    const form = h("form", { class: "policy", novalidate: true },
      h("fieldset", { disabled: !canEdit },
        h("legend", { class: "sr" }, `Provisioning policy of ${cluster}`),
        h("h2", {}, "Rules"), h("p", { class: "muted" }, "In order; the first rule that matches a VM decides what it gets."),
        rulesArea,
        canEdit ? h("button", { type: "button", id: "add-rule" }, "Add rule") : null,
        h("h2", {}, "Compliance remediation"),
        check("policy-remediation-fixOfflineAction", "Fix OfflineAction on GPU-P VMs", remediation.fixOfflineAction),
        check("policy-remediation-assignMissingPartitions", "Assign partitions the policy asks for", remediation.assignMissingPartitions),
        check("policy-remediation-removeUnselectedPartitions", "Remove partitions the policy doesn't select", remediation.removeUnselectedPartitions),
        input("policy-remediation-maxRequestsPerScan", "Most remediation requests per scan", { type: "number", value: remediation.maxRequestsPerScan, inputmode: "numeric" }, "0 to 100."),
        input("policy-staleInventoryAfterMinutes", "Inventory is stale after (minutes)", { type: "number", value: policy.staleInventoryAfterMinutes, inputmode: "numeric" }, "1 to 10080."),
        canEdit ? h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary", id: "save-policy" }, "Save policy")) : null));
    form.addEventListener("click", event => {
      const target = event.target;
      if (target.id === "add-rule") {
        const rules = readForm(form).rules;
        rules.push({ name: "", offlineAction: "ForceShutdown", assignPartition: true });
        drawRules(rules);
        form.querySelector(`#policy-rules-${rules.length - 1}-name`).focus();
      } else if (target.dataset?.remove !== undefined) {
        const rules = readForm(form).rules;
        rules.splice(Number(target.dataset.remove), 1);
        drawRules(rules);
      }
    });
    form.addEventListener("submit", async event => {
      event.preventDefault();
      replace(summary, h("p", { class: "muted" }, "Saving…"));
      try {
        await change("PUT", `/api/clusters/${encode(cluster)}/policy`, readForm(form));
        showProblems(form, h("div"), []);
        replace(summary, h("div", { class: "panel ok", role: "status" }, "Saved."));
      } catch (error) {
        if (error instanceof ApiError && error.code === "invalid-policy") showProblems(form, summary, error.problems);
        else replace(summary, problemView(error));
      }
    });
    return h("section", { "aria-labelledby": "page-title" },
      h("h1", { id: "page-title" }, `Policy of ${cluster}`),
      clusterPicker(clusters, cluster, "policy"),
      canEdit ? null : h("p", { class: "muted" }, "Read only: changing the policy needs the Operator role."),
      summary, form);
  },
};
