import { isTerminalStatus, type RunRecord } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import type { FastifyReply, FastifyRequest } from "fastify";
import { listRuns, matchesFilter, type RunListFilter } from "./run-list.js";
import { openEventStream } from "./sse.js";

/** Longest silence before a comment line keeps proxies from closing the connection. */
const PING_MS = 15_000;

/**
 * Server-Sent Events for a runs list. First a `snapshot` event with the newest runs that pass the
 * filter; then, for every run that passes it (new ones included), a `status` event
 * (`{ runId, status, stage, at }`) for each status change its event stream records, in order (so
 * a run that went through analyzing between two changes still shows it), and a `run` event with
 * the record whenever it changed. Driven by the fleet's run-change stream (every run record write
 * appends the run id), read with XREAD BLOCK on a connection of this response's own: a change
 * reaches the client within milliseconds, and an idle list costs Redis nothing.
 */
export async function streamRunList(fleet: Fleet, filter: RunListFilter, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { res } = openEventStream(reply);
  const gone = new AbortController();
  req.raw.on("close", () => gone.abort());
  const seen = new Map<string, string>();
  const lastEvent = new Map<string, string>();
  const lastStatus = new Map<string, string>();
  let n = 0;
  const send = (event: string, data: unknown) => {
    res.write(`id: ${++n}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const sendStatus = (runId: string, status: unknown, stage: unknown, at: string) => {
    if (lastStatus.get(runId) === status) return;
    lastStatus.set(runId, String(status));
    send("status", { runId, status, stage, at });
  };
  /**
   * Status events of `r` after the last one sent (all of them for a run new to the view), then
   * the record's own status: the fleet writes the record before the event, so the change can be
   * seen before its event exists (the event, read with a later change, is then not sent twice).
   */
  const statusChanges = async (r: RunRecord, emit: boolean) => {
    const events = await fleet.events(r.runId, lastEvent.get(r.runId) ?? "0");
    for (const e of events) {
      if (e.id) lastEvent.set(r.runId, e.id);
      if (emit && e.type === "status") sendStatus(r.runId, e.data.status, e.stage ?? null, e.at);
    }
    if (emit) sendStatus(r.runId, r.status, r.stage ?? null, r.updatedAt);
    else lastStatus.set(r.runId, r.status);
  };
  try {
    // taken before the snapshot: a change made while it is read is delivered after it
    const from = await fleet.lastRunChange();
    const first = await listRuns(fleet, { ...filter, cursor: undefined });
    for (const r of first.runs) {
      seen.set(r.runId, `${r.status}|${r.updatedAt}`);
      if (!isTerminalStatus(r.status)) await statusChanges(r, false);
    }
    send("snapshot", { runs: first.runs });
    for await (const changed of fleet.tailRunChanges(from, { signal: gone.signal, blockMs: PING_MS })) {
      if (changed.length === 0) res.write(": ping\n\n");
      for (const runId of changed) {
        const r = await fleet.get(runId);
        if (!r || !matchesFilter(r, filter)) continue;
        const sig = `${r.status}|${r.updatedAt}`;
        if (seen.get(runId) === sig) continue;
        seen.set(runId, sig);
        await statusChanges(r, true);
        send("run", r);
        if (isTerminalStatus(r.status)) {
          lastEvent.delete(runId);
          lastStatus.delete(runId);
        }
      }
    }
  } catch (err) {
    if (!gone.signal.aborted) req.log.warn({ err }, "runs stream ended by an error");
  }
  res.end();
}
