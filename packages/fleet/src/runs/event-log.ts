import { type RedisKeys, type RunEvent, RunEventSchema } from "@pyfleet/core";
import type { Redis } from "ioredis";

/** A run event before the stream gives it an id. */
export type NewRunEvent = Omit<RunEvent, "id" | "at"> & { at?: string };

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
    const body = JSON.stringify({ ...event, at: event.at ?? at.toISOString() });
    const id = await this.redis.xadd(this.keys.runEvents(event.runId), "MAXLEN", "~", this.maxLen, "*", "e", body);
    return id as string;
  }

  /** Events after `afterId` (exclusive; "0" = from the start), oldest first. */
  async read(runId: string, afterId = "0", count = 500): Promise<RunEvent[]> {
    const start = afterId === "0" ? "-" : `(${afterId}`;
    const rows = await this.redis.xrange(this.keys.runEvents(runId), start, "+", "COUNT", count);
    return rows.map(([id, fields]) => decode(id, fields));
  }

  /** Starts the retention clock of a finished run's stream. */
  async expire(runId: string, seconds: number): Promise<void> {
    await this.redis.expire(this.keys.runEvents(runId), seconds);
  }
}

function decode(id: string, fields: string[]): RunEvent {
  const i = fields.indexOf("e");
  const raw = i >= 0 ? JSON.parse(fields[i + 1] ?? "{}") : {};
  return RunEventSchema.parse({ ...raw, id });
}

/** True when `id` is a Redis stream id (`<ms>-<seq>`), e.g. a client's Last-Event-ID. */
export const isStreamId = (id: string): boolean => /^\d{1,20}-\d{1,20}$/.test(id);
