import { useEffect, useState } from "preact/hooks";

/** The console's routes, kept in the URL hash so links, reloads and the back button work. */
export type Route =
  | { page: "runs"; runId: string | null }
  | { page: "approvals"; approvalId: string | null };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (parts[0] === "approvals") return { page: "approvals", approvalId: parts[1] || null };
  return { page: "runs", runId: parts[0] === "runs" ? parts[1] || null : null };
}

export const runHref = (id: string) => `#/runs/${encodeURIComponent(id)}`;
export const approvalHref = (id: string) => `#/approvals/${encodeURIComponent(id)}`;

/** The current route, updated on hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}
