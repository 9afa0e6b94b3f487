import { PyfleetError, type RedisKeys, type RunRecord, type RunStatus, TERMINAL_STATUSES } from "@pyfleet/core";
import type { Redis } from "ioredis";
import { decodeRecord, encodeFields, type RunInternals, type RunPatch } from "./record-codec.js";

/** Creates the run unless its thread already has one: KEYS run, index, thread; ARGV runId, score, fields. */
const CREATE_LUA = `
if redis.call('SET', KEYS[3], ARGV[1], 'NX') == false then return redis.call('GET', KEYS[3]) end
local f = cjson.decode(ARGV[3])
for k, v in pairs(f) do redis.call('HSET', KEYS[1], k, v) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return ''
`;

/** Applies a patch unless the run is terminal (or gone): KEYS run; ARGV fields, terminal csv. */
const PATCH_LUA = `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return 0 end
cur = cjson.decode(cur)
for s in string.gmatch(ARGV[2], '[^,]+') do if s == cur then return -1 end end
local f = cjson.decode(ARGV[1])
for k, v in pairs(f) do redis.call('HSET', KEYS[1], k, v) end
return 1
`;

export interface RunListPage {
  runs: RunRecord[];
  /** Opaque cursor for the next page; null when this was the last one. */
  nextCursor: string | null;
}

/**
 * Run records: one hash per run (`keys.run(id)`) mirroring RunRecord, a sorted set of run ids by
 * creation time for listing, and the thread → run key that keeps one run per thread.
 */
export class RunStore {
  private readonly terminalCsv = [...TERMINAL_STATUSES].join(",");

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly retentionSeconds: number,
  ) {}

  /**
   * Stores a new run.
   * @throws PyfleetError `THREAD_HAS_RUN` (details.runId = the existing run) when the thread has a run.
   */
  async create(record: RunRecord): Promise<void> {
    const fields = encodeFields({ ...record, step: 0, pendingJob: null });
    const existing = (await this.redis.eval(
      CREATE_LUA,
      3,
      this.keys.run(record.runId),
      this.keys.runsIndex(),
      this.keys.threadRun(record.threadId),
      record.runId,
      Date.parse(record.createdAt),
      JSON.stringify(fields),
    )) as string;
    if (existing) {
      throw new PyfleetError("THREAD_HAS_RUN", `thread_id ${record.threadId} already has run ${existing}`, {
        details: { runId: existing, threadId: record.threadId },
        issues: [{ path: "thread_id", message: `already used by run ${existing}` }],
      });
    }
  }

  async get(runId: string): Promise<RunRecord | null> {
    return (await this.getWithInternals(runId))?.record ?? null;
  }

  async getWithInternals(runId: string): Promise<{ record: RunRecord; internals: RunInternals } | null> {
    return decodeRecord(await this.redis.hgetall(this.keys.run(runId)), this.keys.run(runId));
  }

  /** Run id owning a thread, or null. */
  async byThread(threadId: string): Promise<string | null> {
    return this.redis.get(this.keys.threadRun(threadId));
  }

  /**
   * Patches a run that is not terminal yet (a late worker never overwrites a final status).
   * @returns false when the run is terminal or unknown.
   */
  async update(runId: string, patch: RunPatch, at: Date): Promise<boolean> {
    const fields = encodeFields({ ...patch, updatedAt: at.toISOString() });
    const r = (await this.redis.eval(PATCH_LUA, 1, this.keys.run(runId), JSON.stringify(fields), this.terminalCsv)) as number;
    return r === 1;
  }

  /**
   * Moves a run to a terminal status and starts the retention clock on its keys.
   * @returns false when it already was terminal (the first final status wins).
   */
  async finish(runId: string, status: RunStatus, patch: RunPatch, at: Date): Promise<boolean> {
    const ok = await this.update(runId, { ...patch, status, finishedAt: at.toISOString(), pendingJob: null }, at);
    if (ok) await this.expire(runId);
    return ok;
  }

  /** Sets the retention TTL on the run hash, its thread key and its cancel flag. */
  async expire(runId: string): Promise<void> {
    const rec = await this.get(runId);
    const ttl = this.retentionSeconds;
    const m = this.redis.multi().expire(this.keys.run(runId), ttl).expire(this.keys.runCancel(runId), ttl);
    if (rec) m.expire(this.keys.threadRun(rec.threadId), ttl);
    await m.exec();
  }

  /** Lists runs newest first, optionally of one status; expired records are pruned from the index. */
  async list(opts: { status?: RunStatus; limit: number; cursor?: string | null }): Promise<RunListPage> {
    const out: RunRecord[] = [];
    let [maxScore, afterId] = parseCursor(opts.cursor);
    for (;;) {
      const batch = await this.redis.zrevrangebyscore(this.keys.runsIndex(), maxScore, "-inf", "WITHSCORES", "LIMIT", 0, opts.limit + 50);
      if (batch.length === 0) return { runs: out, nextCursor: null };
      let progressed = false;
      for (let i = 0; i < batch.length; i += 2) {
        const id = batch[i]!;
        const score = batch[i + 1]!;
        if (afterId !== null && score === maxScore && id >= afterId) continue;
        progressed = true;
        maxScore = score;
        afterId = id;
        let rec: RunRecord | null;
        try {
          rec = await this.get(id);
        } catch (err) {
          // One unreadable record must not hide the others: it is left out of the listing.
          if ((err as PyfleetError).code === "RECORD_CORRUPT") continue;
          throw err;
        }
        if (!rec) {
          await this.redis.zrem(this.keys.runsIndex(), id);
          continue;
        }
        if (opts.status && rec.status !== opts.status) continue;
        out.push(rec);
        if (out.length === opts.limit) return { runs: out, nextCursor: `${score}:${id}` };
      }
      if (!progressed) return { runs: out, nextCursor: null };
    }
  }
}

function parseCursor(cursor: string | null | undefined): [string, string | null] {
  if (!cursor) return ["+inf", null];
  const i = cursor.indexOf(":");
  const score = cursor.slice(0, i);
  if (i < 1 || !/^\d+$/.test(score)) {
    throw new PyfleetError("VALIDATION_FAILED", "invalid cursor", { issues: [{ path: "cursor", message: "not a cursor returned by this API" }] });
  }
  return [score, cursor.slice(i + 1)];
}
