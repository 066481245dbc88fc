export function age(seconds) {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

export function duration(fromIso, toIso) {
  const ms = new Date(toIso) - new Date(fromIso);
  if (!(ms >= 0)) return "—";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function mib(value) {
  if (value === null || value === undefined) return "unknown";
  return value >= 1024 ? `${(value / 1024).toFixed(value % 1024 ? 1 : 0)} GiB` : `${value} MiB`;
}

export function statusKind(status) {
  switch (status) {
    case "Succeeded": case "AlreadyDone": return "ok";
    case "Failed": case "Rejected": case "TimedOut": case "Expired": return "bad";
    case "Cancelled": return "";
    default: return "busy";
  }
}

// Statuses a request never leaves (PartitionRequestView.Status): Expired and Cancelled end a queued request.
export const terminal = new Set(["Succeeded", "Failed", "Rejected", "TimedOut", "Expired", "Cancelled"]);
