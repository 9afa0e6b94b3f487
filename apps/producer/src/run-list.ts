import { EXECUTION_METHODS, EXECUTION_MODES, RUN_STATUSES, type RunRecord } from "@pyfleet/core";
import type { Fleet, RunListPage } from "@pyfleet/fleet";
import { z } from "zod";

/** Query of `GET /v1/runs` and `GET /v1/runs/stream`: every filter is optional and they combine. */
export const RunListQuery = z
  .object({
    status: z.enum(RUN_STATUSES).optional(),
    requester: z.string().min(1).max(128).optional(),
    mode: z.enum(EXECUTION_MODES).optional(),
    method: z.enum(EXECUTION_METHODS).optional(),
    /** Created at or after this instant (ISO 8601). */
    since: z.iso.datetime({ offset: true }).optional(),
    /** Created before this instant (ISO 8601). */
    until: z.iso.datetime({ offset: true }).optional(),
    /** Part of the run id (or of the task, case-insensitive). */
    q: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
export type RunListFilter = z.infer<typeof RunListQuery>;

/** How many records one filtered listing looks at before it answers with what it found. */
const SCAN_LIMIT = 5000;

/** True when a run passes every filter of `f`. */
export function matchesFilter(r: RunRecord, f: RunListFilter): boolean {
  if (f.status && r.status !== f.status) return false;
  if (f.requester && r.requester !== f.requester) return false;
  if (f.mode && r.mode !== f.mode) return false;
  if (f.method && r.method !== f.method) return false;
  const created = Date.parse(r.createdAt);
  if (f.since && created < Date.parse(f.since)) return false;
  if (f.until && created >= Date.parse(f.until)) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    if (!r.runId.toLowerCase().includes(q) && !r.task.toLowerCase().includes(q)) return false;
  }
  return true;
}

/**
 * Runs newest first that pass the filter. The run index is ordered by creation time only, so the
 * other filters are applied while paging through it (at most {@link SCAN_LIMIT} records per call;
 * `nextCursor` continues where the scan stopped).
 */
export async function listRuns(fleet: Fleet, f: RunListFilter): Promise<RunListPage> {
  const plain = !f.requester && !f.mode && !f.method && !f.since && !f.until && !f.q;
  if (plain) return fleet.list({ limit: f.limit, cursor: f.cursor ?? null, ...(f.status ? { status: f.status } : {}) });
  const out: RunRecord[] = [];
  let cursor: string | null = f.cursor ?? null;
  let scanned = 0;
  while (scanned < SCAN_LIMIT) {
    const page = await fleet.list({ limit: 200, cursor, ...(f.status ? { status: f.status } : {}) });
    for (const r of page.runs) {
      scanned++;
      // Older than `since`: every later record is older still.
      if (f.since && Date.parse(r.createdAt) < Date.parse(f.since)) return { runs: out, nextCursor: null };
      if (!matchesFilter(r, f)) continue;
      out.push(r);
      if (out.length === f.limit) return { runs: out, nextCursor: cursorOf(r) };
    }
    if (!page.nextCursor) return { runs: out, nextCursor: null };
    cursor = page.nextCursor;
  }
  return { runs: out, nextCursor: cursor };
}

/** The list cursor pointing after `r` (the run index's `<createdAt ms>:<runId>` form). */
function cursorOf(r: RunRecord): string {
  return `${Date.parse(r.createdAt)}:${r.runId}`;
}
