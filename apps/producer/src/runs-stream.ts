import { isTerminalStatus, type RunRecord } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import type { FastifyReply, FastifyRequest } from "fastify";
import { listRuns, type RunListFilter } from "./run-list.js";
import { openEventStream } from "./sse.js";

const POLL_MS = 250;
const PING_MS = 15_000;

/**
 * Server-Sent Events for a runs list. First a `snapshot` event with the newest runs that pass the
 * filter; then, for every run in view, a `status` event (`{ runId, status, stage, at }`) for each
 * status change its event stream records, in order (so a run that went through analyzing
 * between two polls still shows it), and a `run` event with the record whenever it changed.
 * Polls every 250 ms per connection: runs keep no fleet-wide change feed, and a console has a
 * handful of viewers, not thousands.
 */
export async function streamRunList(fleet: Fleet, filter: RunListFilter, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { res } = openEventStream(reply);
  let closed = false;
  req.raw.on("close", () => {
    closed = true;
  });
  const seen = new Map<string, string>();
  const lastEvent = new Map<string, string>();
  let n = 0;
  let lastWrite = Date.now();
  const send = (event: string, data: unknown) => {
    res.write(`id: ${++n}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    lastWrite = Date.now();
  };
  const page = { ...filter, cursor: undefined };
  /** Status events of `r` after the last one sent (all of them for a run new to the view). */
  const statusChanges = async (r: RunRecord, emit: boolean) => {
    const events = await fleet.events(r.runId, lastEvent.get(r.runId) ?? "0");
    for (const e of events) {
      if (e.id) lastEvent.set(r.runId, e.id);
      if (emit && e.type === "status") send("status", { runId: r.runId, status: e.data.status, stage: e.stage ?? null, at: e.at });
    }
  };
  try {
    const first = await listRuns(fleet, page);
    for (const r of first.runs) {
      seen.set(r.runId, `${r.status}|${r.updatedAt}`);
      if (!isTerminalStatus(r.status)) await statusChanges(r, false);
    }
    send("snapshot", { runs: first.runs });
    while (!closed) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (closed) break;
      const { runs } = await listRuns(fleet, page);
      // Oldest first, so a client sees new runs in creation order.
      for (const r of [...runs].reverse()) {
        const sig = `${r.status}|${r.updatedAt}`;
        if (seen.get(r.runId) === sig) continue;
        seen.set(r.runId, sig);
        await statusChanges(r, true);
        send("run", r);
        if (isTerminalStatus(r.status)) lastEvent.delete(r.runId);
      }
      if (Date.now() - lastWrite > PING_MS) {
        res.write(": ping\n\n");
        lastWrite = Date.now();
      }
    }
  } catch (err) {
    req.log.warn({ err }, "runs stream ended by an error");
  }
  res.end();
}
