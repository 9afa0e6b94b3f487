import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ago, TERMINAL } from "../format.js";
import { runHref } from "../route.js";
import type { RunRecord } from "../types.js";
import { StatusBadge } from "../ui/status-badge.js";

/** Filters of the runs list, as sent to the producer (empty strings are left out). */
export interface RunFilters {
  status: string;
  requester: string;
  mode: string;
  method: string;
  since: string;
  q: string;
}

export const NO_FILTERS: RunFilters = { status: "", requester: "", mode: "", method: "", since: "", q: "" };

const STATUSES = ["queued", "generating", "analyzing", "awaiting_approval", "executing", "completed", "failed", "rejected", "cancelled", "approval_expired", "outcome_unknown"];

function query(f: RunFilters): string {
  const q = new URLSearchParams({ limit: "100" });
  for (const [k, v] of Object.entries(f)) {
    if (!v) continue;
    // datetime-local has no zone: it means the browser's local time.
    q.set(k, k === "since" ? new Date(v).toISOString() : v);
  }
  return q.toString();
}

/** The filter form (labelled controls; changes apply at once). */
export function RunFilterForm({ value, onChange }: { value: RunFilters; onChange: (f: RunFilters) => void }) {
  const set = (k: keyof RunFilters) => (e: Event) => onChange({ ...value, [k]: (e.currentTarget as HTMLInputElement).value });
  return (
    <form class="filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
      <label>
        Search id or task
        <input type="search" name="q" value={value.q} onInput={set("q")} placeholder="run id or words" />
      </label>
      <label>
        Status
        <select name="status" value={value.status} onChange={set("status")}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option value={s} key={s}>
              {s.replace(/_/g, " ")}
            </option>
          ))}
        </select>
      </label>
      <label>
        Requester
        <input name="requester" value={value.requester} onInput={set("requester")} placeholder="identity" />
      </label>
      <label>
        Mode
        <select name="mode" value={value.mode} onChange={set("mode")}>
          <option value="">any</option>
          <option value="read_only">read only</option>
          <option value="write_access">write access</option>
        </select>
      </label>
      <label>
        Method
        <select name="method" value={value.method} onChange={set("method")}>
          <option value="">any</option>
          <option value="container">container (Jupyter)</option>
          <option value="local">local</option>
          <option value="docker">docker</option>
        </select>
      </label>
      <label>
        Since
        <input type="datetime-local" name="since" value={value.since} onInput={set("since")} />
      </label>
    </form>
  );
}

/**
 * Runs matching the filters, newest first, kept live by the producer's runs stream (a snapshot,
 * then one event per changed run).
 */
export function RunList({ filters, selected }: { filters: RunFilters; selected: string | null }) {
  const [runs, setRuns] = useState<RunRecord[] | null>(null);
  // Status changes seen live per run (the trail shown under a run while the page is open).
  const [trails, setTrails] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<string | null>(null);
  const qs = query(filters);
  useEffect(() => {
    const ctl = new AbortController();
    setRuns(null);
    setTrails({});
    setError(null);
    const t = setTimeout(() => {
      void api.stream(
        "producer",
        `/v1/runs/stream?${qs}`,
        (m) => {
          if (m.event === "snapshot") {
            const snap = (JSON.parse(m.data) as { runs: RunRecord[] }).runs;
            setRuns(snap);
            setTrails(Object.fromEntries(snap.filter((r) => !TERMINAL.has(r.status)).map((r) => [r.runId, [r.status]])));
          }
          else if (m.event === "status") {
            const s = JSON.parse(m.data) as { runId: string; status: string };
            setTrails((cur) => {
              const t = cur[s.runId] ?? [];
              return t[t.length - 1] === s.status ? cur : { ...cur, [s.runId]: [...t, s.status] };
            });
            setRuns((cur) => cur?.map((x) => (x.runId === s.runId ? { ...x, status: s.status as RunRecord["status"] } : x)) ?? null);
          } else if (m.event === "run") {
            const r = JSON.parse(m.data) as RunRecord;
            setRuns((cur) => {
              const list = (cur ?? []).filter((x) => x.runId !== r.runId);
              list.push(r);
              return list.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
            });
          }
        },
        ctl.signal,
      ).catch((e: Error) => setError(e.message));
    }, 200);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [qs]);
  if (error) return <p class="err">{error}</p>;
  if (!runs) return <p class="muted" aria-busy="true">Loading runs…</p>;
  return (
    <div>
      <p class="muted" aria-live="polite">
        {runs.length} run{runs.length === 1 ? "" : "s"} (live)
      </p>
      <ul class="list" id="run-list" aria-label="Runs">
        {runs.map((r) => (
          <li key={r.runId} data-run-id={r.runId} data-status={r.status} class={r.runId === selected ? "sel" : ""}>
            <a href={runHref(r.runId)} aria-current={r.runId === selected ? "page" : undefined}>
              <span class="row-main">
                <span class="task">{r.task}</span>
                <StatusBadge status={r.status} />
              </span>
              <span class="row-meta">
                <code>{r.runId.slice(0, 8)}</code> · {r.requester} · {r.mode ? r.mode.replace("_", " ") : "mode not known yet"}
                {r.method ? ` · ${r.method}` : ""} · {ago(r.createdAt)}
              </span>
              {trails[r.runId] && (
                <span class="row-meta trail">
                  <span class="sr-only">Status changes seen: </span>
                  {trails[r.runId]?.map((s) => s.replace(/_/g, " ")).join(" → ")}
                </span>
              )}
            </a>
          </li>
        ))}
      </ul>
      {runs.length === 0 && <p class="muted">No run matches.</p>}
    </div>
  );
}
