/**
 * What the e2e bench runs against: a fleet it starts itself on `REDIS_URL` (submits through its
 * producer's HTTP API, reads records and events from Redis), or a deployed producer it reaches only
 * through the HTTP API with the SDK (`--producer URL`): no Redis access, no worker of its own.
 */
import type { PyfleetClient } from "@pyfleet/client";
import { isTerminalStatus, type RunEvent, type RunStatus } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { mapLimit } from "./harness.js";

/** A run's end as its record tells it (server clocks). */
export interface FinishedRun {
  status: RunStatus;
  createdAt: string;
  finishedAt: string | null;
}

export interface BenchTarget {
  /** Submits one read-only provided-code run; resolves with its id. */
  submit(code: string): Promise<string>;
  /** Waits until every run is terminal (or the deadline passes); the terminal ones, by id. */
  waitAll(ids: readonly string[], timeoutMs: number): Promise<Map<string, FinishedRun>>;
  /** The run's stored events (status changes with their times). */
  events(runId: string): Promise<RunEvent[]>;
  /** Stops what the target follows (idempotent). */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `get` for the runs still open, 16 requests at a time, every `intervalMs`, until all are terminal. */
async function pollAll(ids: readonly string[], timeoutMs: number, intervalMs: number, get: (id: string) => Promise<FinishedRun>): Promise<Map<string, FinishedRun>> {
  const done = new Map<string, FinishedRun>();
  const deadline = Date.now() + timeoutMs;
  while (done.size < ids.length && Date.now() < deadline) {
    const open = ids.filter((id) => !done.has(id));
    const recs = await mapLimit(open, 16, get);
    recs.forEach((r, i) => {
      if (isTerminalStatus(r.status)) done.set(open[i] as string, r);
    });
    if (done.size < ids.length) await sleep(intervalMs);
  }
  return done;
}

const submitRequest = (code: string) => ({ user_query: "bench", task_objective: "e2e bench", code });

/**
 * The bench's own fleet: submits through its producer's API, reads records and events from Redis.
 * Waits by following the fleet's run-change stream (as the producer's event stream does) and
 * reads a run's record only when it changed: polling every open record every 20 ms read ~10,000
 * records per burst of 200 and took the fleet's CPU on a 2-core machine. One tail for the whole
 * bench, from before the first submit, so no change of a bench run can come before it.
 */
export async function localTarget(client: PyfleetClient, fleet: Fleet): Promise<BenchTarget> {
  const stop = new AbortController();
  /** Open runs being waited for: a change of one re-reads its record. */
  const waiting = new Map<string, (rec: FinishedRun) => void>();
  const check = async (id: string) => {
    const rec = await fleet.get(id);
    if (rec && isTerminalStatus(rec.status)) waiting.get(id)?.({ status: rec.status, createdAt: rec.createdAt, finishedAt: rec.finishedAt });
  };
  const tail = fleet.tailRunChanges(await fleet.lastRunChange(), { signal: stop.signal, blockMs: 1000 });
  // a failed tail (Redis gone) ends every wait with its error instead of waiting out the deadline
  const following = (async () => {
    for await (const ids of tail) await Promise.all(ids.filter((id) => waiting.has(id)).map(check));
  })();
  const failed = following.then(() => new Promise<never>(() => {}));
  failed.catch(() => {});
  return {
    submit: async (code) => (await client.submit(submitRequest(code))).runId,
    async waitAll(ids, timeoutMs) {
      const done = new Map<string, FinishedRun>();
      let all: () => void = () => {};
      const finished = new Promise<void>((resolve) => {
        all = resolve;
      });
      for (const id of ids)
        waiting.set(id, (rec) => {
          if (!waiting.delete(id)) return;
          done.set(id, rec);
          if (done.size === ids.length) all();
        });
      // registered first: a run that ended before this line is found by this read, one that ends
      // after it by the tail
      await Promise.all(ids.map(check));
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([finished, failed, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      } finally {
        clearTimeout(timer);
        for (const id of ids) waiting.delete(id);
      }
      return done;
    },
    events: (runId) => fleet.events(runId),
    async close() {
      stop.abort();
      await following.catch(() => {});
    },
  };
}

/**
 * A deployed producer, through its HTTP API only (the SDK): submit, `GET /v1/runs/<id>` to wait
 * (16 requests in flight, every 100 ms), the stored events with `follow=0`.
 */
export function producerTarget(client: PyfleetClient): BenchTarget {
  return {
    submit: async (code) => (await client.submit(submitRequest(code))).runId,
    waitAll: (ids, timeoutMs) =>
      pollAll(ids, timeoutMs, 100, async (id) => {
        const run = await client.get(id);
        return { status: run.status, createdAt: run.createdAt, finishedAt: run.finishedAt };
      }),
    events: async (runId) => {
      const out: RunEvent[] = [];
      for await (const e of client.events(runId, { follow: false })) out.push(e);
      return out;
    },
    close: async () => {},
  };
}

/** `--producer URL [--token T]` from argv, or null for the bench's own fleet. */
export function producerArgs(argv: readonly string[]): { url: string; token?: string } | null {
  const at = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const url = at("--producer");
  if (url === undefined) return null;
  const token = at("--token") ?? process.env.PYFLEET_TOKEN;
  return token ? { url, token } : { url };
}
