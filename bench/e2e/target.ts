/**
 * What the e2e bench runs against: a fleet it starts itself on `REDIS_URL` (submits through its
 * producer's HTTP API, reads records and events from Redis), or a deployed producer it reaches only
 * through the HTTP API with the SDK (`--producer URL`): no Redis access, no worker of its own.
 */
import type { PyfleetClient } from "@pyfleet/client";
import { isTerminalStatus, type RunEvent, type RunStatus } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { mapLimit, waitAllTerminal } from "./harness.js";

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

/** The bench's own fleet: submits through its producer's API, reads records and events from Redis. */
export function localTarget(client: PyfleetClient, fleet: Fleet): BenchTarget {
  return {
    submit: async (code) => (await client.submit(submitRequest(code))).runId,
    waitAll: (ids, timeoutMs) => waitAllTerminal(fleet, ids, timeoutMs),
    events: (runId) => fleet.events(runId),
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
