// The REST API on this origin. Reads are conditional (If-None-Match with the ETag last seen), so polling costs a 304
// while nothing changed and pages re-render only when their data did.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code ?? null;
    this.title = problem?.title ?? null;
    this.problems = Array.isArray(problem?.problems) ? problem.problems : [];
  }
}

// The control plane did not answer (network error, or a gateway saying it is unavailable).
export class Unreachable extends Error {}

const cache = new Map();
const listeners = new Set();
let reachable = true;

export function onReachability(listener) {
  listeners.add(listener);
}

function setReachable(value, reason) {
  if (reachable === value && value) return;
  reachable = value;
  for (const listener of listeners) listener(value, reason);
}

async function send(path, init) {
  let response;
  try {
    response = await fetch(path, { ...init, cache: "no-store", credentials: "same-origin" });
  } catch (error) {
    setReachable(false, error.message);
    throw new Unreachable(`The control plane is not answering (${error.message}).`);
  }
  if (response.status === 502 || response.status === 503 && !(response.headers.get("content-type") ?? "").includes("problem")
      || response.status === 504) {
    setReachable(false, `HTTP ${response.status}`);
    throw new Unreachable(`The control plane is not answering (HTTP ${response.status}).`);
  }
  setReachable(true);
  return response;
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// GET with the ETag last seen: { data, changed }.
export async function get(path) {
  const cached = cache.get(path);
  const headers = { Accept: "application/json" };
  if (cached) headers["If-None-Match"] = cached.etag;
  const response = await send(path, { headers });
  if (response.status === 304 && cached) return { data: cached.data, changed: false };
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  const data = await response.json();
  const etag = response.headers.get("ETag");
  if (etag) cache.set(path, { etag, data });
  return { data, changed: true };
}

export async function read(path) {
  return (await get(path)).data;
}

function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, "0")).join("");
}

// A change: POST or PUT with a JSON body and a fresh Idempotency-Key, so a retried click can't act twice.
export async function change(method, path, body) {
  const response = await send(path, {
    method,
    headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": idempotencyKey() },
    body: JSON.stringify(body ?? {}),
  });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  return response.status === 204 ? null : await response.json();
}
