import { change } from "./api.js";
import { badge, encode, h, replace, table } from "./dom.js";
import { when } from "./format.js";
import { loadForCluster } from "./policy.js";
import { problemView } from "./actions.js";

function findingsTable(caption, findings) {
  return table(caption, ["Severity", "Rule", "Resource", "Finding", "Remediation"],
    findings.map(f => h("tr", {},
      h("td", {}, badge(f.severity, f.severity === "Info" ? "ok" : "bad")),
      h("td", {}, f.rule), h("th", { scope: "row" }, f.resource), h("td", {}, f.message),
      h("td", {}, f.remediation ? `${f.remediation.description}${f.remediation.automatic ? " (automatic)" : ""}` : "—",
        f.remediationRequestId ? [" ", h("a", { href: `#/requests/${encode(f.remediationRequestId)}` }, "request")] : null))));
}

// Survives the re-render the finished scan triggers, so the outcome stays on screen.
const lastScan = { cluster: null, message: null };

export const compliancePage = {
  title: "Compliance",
  load: params => loadForCluster(params, "compliance"),
  view({ clusters, cluster, value }, _, context) {
    if (!cluster) return h("section", {}, h("h1", { id: "page-title" }, "Compliance"), h("p", {}, "No cluster has reported yet."));
    const status = h("div", { "aria-live": "polite" },
      lastScan.cluster === cluster && lastScan.message ? h("p", { role: "status" }, lastScan.message) : null);
    const picker = h("select", { id: "compliance-cluster" }, clusters.map(c => h("option", { value: c.cluster, selected: c.cluster === cluster }, c.cluster)));
    picker.addEventListener("change", () => { location.hash = `#/clusters/${encode(picker.value)}/compliance`; });
    const scan = context.caller?.canOperate ? h("button", { type: "button", id: "run-scan", class: "primary" }, "Run a scan now") : null;
    scan?.addEventListener("click", async () => {
      scan.disabled = true;
      replace(status, h("p", { class: "muted" }, "Scanning…"));
      try {
        await change("POST", `/api/clusters/${encode(cluster)}/compliance/scan`);
        Object.assign(lastScan, { cluster, message: "Scan finished." });
        replace(status, h("p", { role: "status" }, lastScan.message));
        context.refresh();
      } catch (error) {
        replace(status, problemView(error));
      } finally {
        scan.disabled = false;
      }
    });
    const latest = value.latest;
    return h("section", { "aria-labelledby": "page-title" },
      h("h1", { id: "page-title" }, `Compliance of ${cluster}`),
      h("div", { class: "field" }, h("label", { for: "compliance-cluster" }, "Cluster"), picker),
      h("p", {}, scan), status,
      latest
        ? [h("p", {}, `Last checked ${when(latest.checkedAt)}: `, latest.compliant ? badge("compliant", "ok") : badge("not compliant", "bad")),
          findingsTable("Findings of the latest scan", latest.findings)]
        : h("p", {}, "Not scanned yet."),
      h("h2", {}, "History"),
      table("Earlier scans", ["Checked", "Result", "Findings"], value.history.map(report => h("tr", {},
        h("th", { scope: "row" }, when(report.checkedAt)),
        h("td", {}, report.compliant ? badge("compliant", "ok") : badge("not compliant", "bad")),
        h("td", {}, report.findings.filter(f => f.severity !== "Info").map(f => `${f.rule}: ${f.resource}`).join("; ") || "none")))));
  },
};
