import type { RedisKeys } from "@pyfleet/core";
import type { Redis } from "ioredis";

/**
 * Entries the run-change stream (`keys.runChanges()`) keeps, approximately: a live list reads it
 * within moments. RunStore's scripts append the run id on every write of a run record.
 */
export const RUN_CHANGES_MAXLEN = 10_000;

/** Id of the newest run change ("0-0" when there is none): follow from here to miss nothing after it. */
export async function lastRunChangeId(redis: Redis, keys: RedisKeys): Promise<string> {
  const [newest] = await redis.xrevrange(keys.runChanges(), "+", "-", "COUNT", 1);
  return newest?.[0] ?? "0-0";
}

/** How {@link tailRunChanges} waits. */
export interface RunChangeTailOptions {
  /** Stops the tail, also while it waits (its connection is closed). */
  signal?: AbortSignal;
  /** Longest wait before an empty batch is yielded (default 15 s), so the caller can ping its client. */
  blockMs?: number;
}

/**
 * Follows the run-change stream after `afterId`: yields the ids of runs whose record changed
 * (each once per batch, oldest change first), or an empty batch after `blockMs` without one.
 * Waits with XREAD BLOCK on a connection of its own (a blocked read holds its connection),
 * closed when the tail ends or `signal` aborts.
 */
export async function* tailRunChanges(redis: Redis, keys: RedisKeys, afterId: string, opts: RunChangeTailOptions = {}): AsyncGenerator<string[]> {
  const blocking = redis.duplicate({ connectionName: "pyfleet-run-changes" });
  const stop = () => blocking.disconnect();
  opts.signal?.addEventListener("abort", stop, { once: true });
  let last = afterId;
  try {
    while (!opts.signal?.aborted) {
      let reply: Array<[string, Array<[string, string[]]>]> | null;
      try {
        reply = (await blocking.xread("COUNT", 1000, "BLOCK", opts.blockMs ?? 15_000, "STREAMS", keys.runChanges(), last)) as typeof reply;
      } catch (err) {
        if (opts.signal?.aborted) return;
        throw err;
      }
      const entries = reply?.[0]?.[1] ?? [];
      last = entries.at(-1)?.[0] ?? last;
      yield [...new Set(entries.map(([, fields]) => fields[1] ?? ""))].filter(Boolean);
    }
  } finally {
    opts.signal?.removeEventListener("abort", stop);
    blocking.disconnect();
  }
}
