import { ApiError, Unreachable, onReachability, read } from "./api.js";
import { h, replace } from "./dom.js";
import { fleetPage } from "./fleet.js";
import { clusterPage } from "./cluster.js";
import { vmsPage } from "./vms.js";
import { requestsPage, requestPage } from "./requests.js";
import { policyPage } from "./policy.js";
import { compliancePage } from "./compliance.js";

// Polling, not server-sent events: every read is a plain conditional GET, which works unchanged through the
// Functions host's HTTP forwarding (it buffers responses) and App Service Authentication.
const pollMilliseconds = 3000;

const routes = [
  [/^#\/fleet$/, fleetPage],
  [/^#\/clusters\/([^/]+)$/, clusterPage],
  [/^#\/vms$/, vmsPage],
  [/^#\/requests$/, requestsPage],
  [/^#\/requests\/([^/]+)$/, requestPage],
  [/^#\/policy$/, policyPage],
  [/^#\/clusters\/([^/]+)\/policy$/, policyPage],
  [/^#\/compliance$/, compliancePage],
  [/^#\/clusters\/([^/]+)\/compliance$/, compliancePage],
];

const main = document.getElementById("main");
const banner = document.getElementById("banner");
const context = { caller: null, refresh: () => update(true) };
let current = null;
let generation = 0;
let timer = null;

onReachability((reachable, reason) => {
  if (reachable) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  replace(banner,
    h("strong", {}, "The control plane is not answering. "),
    `Shown data may be out of date; retrying every ${pollMilliseconds / 1000} s (${reason}).`);
  banner.hidden = false;
});

function route() {
  const hash = location.hash || "#/fleet";
  for (const [pattern, page] of routes) {
    const match = pattern.exec(hash);
    if (match) return { page, params: match.slice(1).map(decodeURIComponent) };
  }
  return { page: fleetPage, params: [] };
}

function markNav() {
  const hash = location.hash || "#/fleet";
  for (const link of document.querySelectorAll("#nav a")) {
    const target = link.getAttribute("href");
    if (hash === target || hash.startsWith(target + "/") || hash.endsWith(target.slice(1))) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

export function showError(container, error) {
  if (error instanceof Unreachable) {
    replace(container, h("section", { class: "panel bad" }, h("h2", {}, "Control plane unavailable"), h("p", {}, error.message)));
  } else if (error instanceof ApiError && error.status === 401) {
    replace(container, h("section", { class: "panel bad" }, h("h2", {}, "Not signed in (401)"), h("p", {}, error.message),
      context.caller?.signInUrl ? h("p", {}, h("a", { href: context.caller.signInUrl }, "Sign in")) : null));
  } else if (error instanceof ApiError && error.status === 403) {
    replace(container, h("section", { class: "panel bad" }, h("h2", {}, "Forbidden (403)"), h("p", {}, error.message)));
  } else if (error instanceof ApiError) {
    replace(container, h("section", { class: "panel bad" }, h("h2", {}, `${error.title ?? "Error"} (${error.status})`),
      h("p", {}, error.message), error.code ? h("p", { class: "muted" }, `Code: ${error.code}`) : null));
  } else {
    replace(container, h("section", { class: "panel bad" }, h("h2", {}, "Something went wrong"), h("p", {}, String(error?.message ?? error))));
  }
}

async function update(force) {
  const mine = generation;
  const { page, params } = current;
  try {
    const loaded = await page.load(params, context);
    if (mine !== generation) return;
    if (!force && !loaded.changed) return;
    if (!force && page.live === false) return;
    if (!force && document.querySelector("dialog[open]")) return;
    const focusedId = document.activeElement?.id;
    const view = page.view(loaded.data, params, context);
    replace(main, view);
    if (focusedId) document.getElementById(focusedId)?.focus();
  } catch (error) {
    if (mine !== generation) return;
    // A failed poll keeps what is shown (the banner says why); a failed first load says so instead of loading forever.
    if (force || main.dataset.loaded !== "true") showError(main, error);
    else if (!(error instanceof Unreachable)) showError(main, error);
    return;
  }
  main.dataset.loaded = "true";
}

async function navigate() {
  generation++;
  current = route();
  markNav();
  main.dataset.loaded = "false";
  document.title = `${current.page.title} — GPU partitions`;
  replace(main, h("p", { class: "muted" }, "Loading…"));
  await update(true);
  if (location.hash) main.focus({ preventScroll: true });
}

async function start() {
  try {
    context.caller = await read("/api/portal/me");
  } catch (error) {
    context.caller = { authenticated: false, roles: [], canRead: false, canOperate: false };
    if (!(error instanceof Unreachable)) throw error;
  }
  const caller = context.caller;
  replace(document.getElementById("caller"), caller.authenticated
    ? `${caller.name ?? "signed in"} · ${caller.canOperate ? "Operator" : caller.canRead ? "Reader" : "no role"}`
    : caller.signInUrl ? h("a", { href: caller.signInUrl }, "Sign in") : "not signed in");
  window.addEventListener("hashchange", navigate);
  await navigate();
  timer = setInterval(() => { if (!document.hidden) update(false); }, pollMilliseconds);
}

start();
export { timer };
