import { type RedisKeys, type RunEvent, RunEventSchema } from "@pyfleet/core";
import type { Redis } from "ioredis";

/** How {@link RunEventLog.tail} waits. */
export interface TailOptions {
  /** Stops the tail, also while it waits (its connection is closed). */
  signal?: AbortSignal;
  /** Longest wait for new events before an empty batch is yielded (default 5000 ms). */
  blockMs?: number;
  /** Most events per batch (default 500). */
  count?: number;
}

/** A run event before the stream gives it an id. */
export type NewRunEvent = Omit<RunEvent, "id" | "at"> & { at?: string };

/** One event as the XADD that appends it: stream key, approximate trim length, the `e` field. */
export interface EventEntry {
  stream: string;
  maxLen: number;
  body: string;
}

/**
 * The per-run event stream (`keys.runEvents(id)`): one XADD per event with the JSON in field `e`,
 * trimmed approximately to `maxLen`. Stream ids are the SSE event ids (resumable reads).
 */
export class RunEventLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly maxLen: number,
  ) {}

  /** Appends one event and returns its stream id. */
  async append(event: NewRunEvent, at: Date): Promise<string> {
    const id = await this.redis.xadd(this.keys.runEvents(event.runId), "MAXLEN", "~", this.maxLen, "*", "e", this.body(event, at.toISOString()));
    return id as string;
  }

  /**
   * The event as an XADD of its run's stream, for a script that appends it together with other
   * writes (a run record patch): the same stream, trim and body as {@link append}.
   */
  entry(event: NewRunEvent, at: Date): EventEntry {
    return { stream: this.keys.runEvents(event.runId), maxLen: this.maxLen, body: this.body(event, at.toISOString()) };
  }

  private body(event: NewRunEvent, at: string): string {
    return JSON.stringify({ ...event, at: event.at ?? at });
  }

  /**
   * Appends events in order in one round trip, returns their stream ids. The XADDs are issued
   * back to back on the connection (Redis runs them in that order) rather than in an ioredis
   * `pipeline()`: building a Pipeline copies every script defined on the connection (BullMQ's,
   * shared with it), which cost more than the XADDs themselves (~0.45 ms per run in each of
   * the analyze worker's and the executor's profiles). A finished run's stream gets its
   * retention from the run's finish script, with its last events (`RunStore.finish`).
   */
  async appendMany(events: readonly NewRunEvent[], at: Date): Promise<string[]> {
    const when = at.toISOString();
    return (await Promise.all(events.map((event) => this.redis.xadd(this.keys.runEvents(event.runId), "MAXLEN", "~", this.maxLen, "*", "e", this.body(event, when))))) as string[];
  }

  /** Events after `afterId` (exclusive; "0" = from the start), oldest first. */
  async read(runId: string, afterId = "0", count = 500): Promise<RunEvent[]> {
    const start = afterId === "0" ? "-" : `(${afterId}`;
    const rows = await this.redis.xrange(this.keys.runEvents(runId), start, "+", "COUNT", count);
    return rows.map(([id, fields]) => decode(id, fields));
  }

  /**
   * Follows a run's stream: yields the stored events after `afterId` at once, then each batch as
   * it is appended, and an empty batch whenever `blockMs` passed without one (so the caller can
   * check the run or keep its client alive). Waits with XREAD BLOCK on a connection of its own
   * (a blocked read holds its connection, so it cannot share the fleet's), closed when the
   * caller stops iterating or `signal` aborts.
   */
  async *tail(runId: string, afterId = "0", opts: TailOptions = {}): AsyncGenerator<RunEvent[]> {
    const key = this.keys.runEvents(runId);
    const count = opts.count ?? 500;
    const blockMs = opts.blockMs ?? 5000;
    // named after the run, so CLIENT LIST shows which run a blocked reader follows
    const blocking = this.redis.duplicate({ connectionName: `pyfleet-tail:${runId}` });
    const stop = () => blocking.disconnect();
    opts.signal?.addEventListener("abort", stop, { once: true });
    let last = afterId;
    let first = true;
    try {
      while (!opts.signal?.aborted) {
        let reply: Array<[string, Array<[string, string[]]>]> | null;
        try {
          reply = first
            ? await blocking.xread("COUNT", count, "STREAMS", key, last)
            : await blocking.xread("COUNT", count, "BLOCK", blockMs, "STREAMS", key, last);
        } catch (err) {
          if (opts.signal?.aborted) return;
          throw err;
        }
        first = false;
        const events = (reply?.[0]?.[1] ?? []).map(([id, fields]) => decode(id, fields));
        last = events.at(-1)?.id ?? last;
        yield events;
      }
    } finally {
      opts.signal?.removeEventListener("abort", stop);
      blocking.disconnect();
    }
  }
}

function decode(id: string, fields: string[]): RunEvent {
  const i = fields.indexOf("e");
  const raw = i >= 0 ? JSON.parse(fields[i + 1] ?? "{}") : {};
  return RunEventSchema.parse({ ...raw, id });
}

/** True when `id` is a Redis stream id (`<ms>-<seq>`), e.g. a client's Last-Event-ID. */
export const isStreamId = (id: string): boolean => /^\d{1,20}-\d{1,20}$/.test(id);
