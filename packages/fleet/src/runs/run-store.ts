import { PyfleetError, type RedisKeys, type RunRecord, type RunStatus, TERMINAL_STATUSES } from "@pyfleet/core";
import type { ChainableCommander, Redis, Result } from "ioredis";
import { defineScripts } from "../redis/define-scripts.js";
import type { EventEntry } from "./event-log.js";
import { decodeRecord, encodeFields, type RunInternals, type RunPatch } from "./record-codec.js";
import { RUN_CHANGES_MAXLEN } from "./run-changes.js";

declare module "ioredis" {
  interface RedisCommander<Context> {
    /** KEYS run, index, thread, changes; ARGV runId, score, fields JSON, changes maxlen. '' when created, else the thread's run id. */
    pyfleetRunCreate(run: string, index: string, thread: string, changes: string, runId: string, score: number, fields: string, maxlen: number): Result<string, Context>;
    /** KEYS run, changes; ARGV fields JSON, terminal statuses csv, runId, changes maxlen. 1 patched, 0 unknown run, -1 terminal. */
    pyfleetRunPatch(run: string, changes: string, fields: string, terminalCsv: string, runId: string, maxlen: number): Result<number, Context>;
    /** pyfleetRunPatch, then (unless the run is unknown) XADD of ARGV event body to KEYS events, trimmed to ~ARGV event maxlen. */
    pyfleetRunPatchEvent(run: string, changes: string, events: string, fields: string, terminalCsv: string, runId: string, maxlen: number, event: string, eventMaxlen: number): Result<number, Context>;
    /**
     * KEYS run, cancel, changes, events; ARGV fields JSON, terminal csv, ttl, runId, changes maxlen, event bodies (JSON array),
     * events maxlen, events ttl. The run hash (flat) when finished, 0 unknown run, -1 terminal.
     */
    pyfleetRunFinish(
      run: string,
      cancel: string,
      changes: string,
      events: string,
      fields: string,
      terminalCsv: string,
      ttl: number,
      runId: string,
      maxlen: number,
      bodies: string,
      eventsMaxlen: number,
      eventsTtl: number,
    ): Result<number | string[], Context>;
    /** pyfleetRunFinish, plus KEYS thread (the run's thread key, also given the TTL); ARGV + the thread id JSON, checked against the record. */
    pyfleetRunFinishThread(
      run: string,
      cancel: string,
      changes: string,
      events: string,
      thread: string,
      fields: string,
      terminalCsv: string,
      ttl: number,
      runId: string,
      maxlen: number,
      bodies: string,
      eventsMaxlen: number,
      eventsTtl: number,
      threadId: string,
    ): Result<number | string[], Context>;
    /** KEYS run, changes; ARGV status JSON, reconciliation JSON, updatedAt JSON, runId, changes maxlen. 1 settled, -1 unknown, else the status JSON. */
    pyfleetRunReconcile(run: string, changes: string, status: string, reconciliation: string, at: string, runId: string, maxlen: number): Result<number | string, Context>;
  }
}

// A record's fields go out in one HSET (a record has a few dozen fields at most: unpack is safe).
// Every write of a run record also appends the run id to the run-change stream (KEYS[last]), in
// the same script, so a live runs list learns of each change, also of those made in a MULTI.

/** Lua: HSET of the JSON object of fields in ARGV[argv] on the run hash (KEYS[1]). */
const hsetFields = (argv: number) => `local f = cjson.decode(ARGV[${argv}])
local hv = {}
for k, v in pairs(f) do hv[#hv + 1] = k; hv[#hv + 1] = v end
if #hv > 0 then redis.call('HSET', KEYS[1], unpack(hv)) end`;

/** Lua: returns 0 for an unknown run (KEYS[1]) and -1 for one whose status is in the csv ARGV[2]. */
const UNLESS_TERMINAL = `local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return 0 end
cur = cjson.decode(cur)
for s in string.gmatch(ARGV[2], '[^,]+') do if s == cur then return -1 end end`;

/** Creates the run unless its thread already has one: KEYS run, index, thread, changes; ARGV runId, score, fields, maxlen. */
const CREATE_LUA = `
if redis.call('SET', KEYS[3], ARGV[1], 'NX') == false then return redis.call('GET', KEYS[3]) end
${hsetFields(3)}
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', 'r', ARGV[1])
return ''
`;

/** Applies a patch unless the run is terminal (or gone): KEYS run, changes; ARGV fields, terminal csv, runId, maxlen. */
const PATCH_LUA = `
${UNLESS_TERMINAL}
${hsetFields(1)}
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'r', ARGV[3])
return 1
`;

/**
 * PATCH_LUA followed by the run's event (KEYS[3], ARGV[5] body, ARGV[6] trim) in the same script,
 * so the record is patched before the event is appended, as when the two were separate commands.
 * A terminal run still gets the event (as a separate XADD did); an unknown one does not (its
 * stream would be created without a retention).
 */
const PATCH_EVENT_LUA = `
local patched = 1
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return 0 end
cur = cjson.decode(cur)
for s in string.gmatch(ARGV[2], '[^,]+') do if s == cur then patched = -1 end end
if patched == 1 then
${hsetFields(1)}
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'r', ARGV[3])
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'e', ARGV[5])
return patched
`;

/**
 * The patch of PATCH_LUA (change stream included) plus the retention clock on the run hash and its cancel flag, answering
 * with the final hash: finishing a run is one round trip, not patch + read + expire + read. Then the run's last events
 * (ARGV[6], a JSON array of bodies, appended to KEYS[4] in order, trimmed to ~ARGV[7]) and their stream's retention
 * (ARGV[8]), after the record is final, so a client that sees `finished` reads the final record. A run that was already
 * terminal (or is unknown) gets neither the patch nor the events.
 */
const finishLua = (thread: string) => `
${UNLESS_TERMINAL}
${hsetFields(1)}
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'r', ARGV[4])
${thread}
local bodies = cjson.decode(ARGV[6])
for i = 1, #bodies do redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[7], '*', 'e', bodies[i]) end
if #bodies > 0 then redis.call('EXPIRE', KEYS[4], ARGV[8]) end
return redis.call('HGETALL', KEYS[1])
`;

/** FINISH_LUA plus the thread key's retention (KEYS[5]) when it is the record's thread (ARGV[9], JSON as stored). */
const FINISH_THREAD_LUA = finishLua("if redis.call('HGET', KEYS[1], 'threadId') == ARGV[9] then redis.call('EXPIRE', KEYS[5], ARGV[3]) end");

// Only a run in `outcome_unknown` can be settled; fields are JSON-encoded like every run field.
const RECONCILE_LUA = `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return -1 end
if cjson.decode(cur) ~= 'outcome_unknown' then return cur end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'reconciliation', ARGV[2], 'updatedAt', ARGV[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'r', ARGV[4])
return 1`;

const SCRIPTS = {
  pyfleetRunCreate: { numberOfKeys: 4, lua: CREATE_LUA },
  pyfleetRunPatch: { numberOfKeys: 2, lua: PATCH_LUA },
  pyfleetRunPatchEvent: { numberOfKeys: 3, lua: PATCH_EVENT_LUA },
  pyfleetRunFinish: { numberOfKeys: 4, lua: finishLua("") },
  pyfleetRunFinishThread: { numberOfKeys: 5, lua: FINISH_THREAD_LUA },
  pyfleetRunReconcile: { numberOfKeys: 2, lua: RECONCILE_LUA },
};

/** A finished run's last events, appended by the finish script itself (see {@link RunStore.finish}). */
export interface RunEnd {
  /** Event bodies as {@link RunEventLog.entry} makes them, in order. */
  bodies: readonly string[];
  /** Approximate trim length of the run's event stream. */
  maxLen: number;
  /** Retention of the run's event stream, started right after the events. */
  ttlSeconds: number;
}

/** How an admin settled a run that ended `outcome_unknown`. */
export interface Reconciliation {
  outcome: "succeeded" | "failed";
  note: string;
}

/** Write requeues are counted this long (a month: longer than any run lives). */
const REQUEUE_COUNT_TTL_SECONDS = 30 * 24 * 3600;

export interface RunListPage {
  runs: RunRecord[];
  /** Opaque cursor for the next page; null when this was the last one. */
  nextCursor: string | null;
}

/**
 * Run records: one hash per run (`keys.run(id)`) mirroring RunRecord, a sorted set of run ids by
 * creation time for listing, the thread → run key that keeps one run per thread, the run's
 * cancel flag and its count of write requeues. Nothing else touches these keys.
 */
export class RunStore {
  private readonly terminalCsv = [...TERMINAL_STATUSES].join(",");

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly retentionSeconds: number,
  ) {
    defineScripts(redis, SCRIPTS);
  }

  /**
   * Stores a new run.
   * @throws PyfleetError `THREAD_HAS_RUN` (details.runId = the existing run) when the thread has a run.
   */
  async create(record: RunRecord): Promise<void> {
    const fields = encodeFields({ ...record, step: 0, pendingJob: null });
    const existing = await this.redis.pyfleetRunCreate(
      this.keys.run(record.runId),
      this.keys.runsIndex(),
      this.keys.threadRun(record.threadId),
      this.keys.runChanges(),
      record.runId,
      Date.parse(record.createdAt),
      JSON.stringify(fields),
      RUN_CHANGES_MAXLEN,
    );
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
    return (await this.queueUpdate(this.redis, runId, patch, at)) === 1;
  }

  /**
   * {@link update} and the append of one of the run's events (its status, typically) in one
   * script: one command instead of two, the record still patched first. The event is appended
   * also when the run is terminal (the patch is refused), not when the run is unknown.
   * @returns false when the run is terminal or unknown.
   */
  async updateWithEvent(runId: string, patch: RunPatch, at: Date, event: EventEntry): Promise<boolean> {
    const fields = JSON.stringify(encodeFields({ ...patch, updatedAt: at.toISOString() }));
    const r = await this.redis.pyfleetRunPatchEvent(this.keys.run(runId), this.keys.runChanges(), event.stream, fields, this.terminalCsv, runId, RUN_CHANGES_MAXLEN, event.body, event.maxLen);
    return r === 1;
  }

  /**
   * The patch of {@link update} as a command of `tx` (a `multi()`), so it commits together with
   * other keys (parking writes the approval record and the run status in one transaction).
   */
  queueUpdate<T extends Redis | ChainableCommander>(tx: T, runId: string, patch: RunPatch, at: Date): ReturnType<T["pyfleetRunPatch"]> {
    const fields = encodeFields({ ...patch, updatedAt: at.toISOString() });
    return tx.pyfleetRunPatch(this.keys.run(runId), this.keys.runChanges(), JSON.stringify(fields), this.terminalCsv, runId, RUN_CHANGES_MAXLEN) as ReturnType<T["pyfleetRunPatch"]>;
  }

  /**
   * Moves a run to a terminal status and starts the retention clock on its keys (run hash, cancel
   * flag, thread key).
   * @param threadId the run's thread, when the caller knows it: the thread key's clock is then set
   *   by the same script (one round trip); otherwise, or for another thread, by an EXPIRE after it.
   * @param end the run's last events (its terminal status, `finished`), appended by the same
   *   script once the record is final, with their stream's retention; not appended when the run
   *   already was terminal.
   * @returns the final record, or null when the run already was terminal (the first final status
   *   wins) or is unknown.
   */
  async finish(runId: string, status: RunStatus, patch: RunPatch, at: Date, threadId?: string, end?: RunEnd): Promise<RunRecord | null> {
    const fields = JSON.stringify(encodeFields({ ...patch, status, finishedAt: at.toISOString(), pendingJob: null, updatedAt: at.toISOString() }));
    const key = this.keys.run(runId);
    const [cancel, changes, events, ttl] = [this.keys.runCancel(runId), this.keys.runChanges(), this.keys.runEvents(runId), this.retentionSeconds];
    const [bodies, eventsMaxLen, eventsTtl] = end ? [JSON.stringify(end.bodies), end.maxLen, end.ttlSeconds] : ["[]", 0, 0];
    const reply =
      threadId === undefined
        ? await this.redis.pyfleetRunFinish(key, cancel, changes, events, fields, this.terminalCsv, ttl, runId, RUN_CHANGES_MAXLEN, bodies, eventsMaxLen, eventsTtl)
        : await this.redis.pyfleetRunFinishThread(
            key,
            cancel,
            changes,
            events,
            this.keys.threadRun(threadId),
            fields,
            this.terminalCsv,
            ttl,
            runId,
            RUN_CHANGES_MAXLEN,
            bodies,
            eventsMaxLen,
            eventsTtl,
            JSON.stringify(threadId),
          );
    if (!Array.isArray(reply)) return null;
    const hash: Record<string, string> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) hash[reply[i]!] = reply[i + 1]!;
    const record = decodeRecord(hash, key)?.record ?? null;
    if (record && record.threadId !== threadId) await this.redis.expire(this.keys.threadRun(record.threadId), ttl);
    return record;
  }

  /** Sets the run's cancel flag (workers watching the run abort it). */
  async requestCancel(runId: string, at: Date): Promise<void> {
    await this.redis.set(this.keys.runCancel(runId), at.toISOString());
  }

  async isCancelled(runId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.runCancel(runId))) === 1;
  }

  /** The runs among `runIds` whose cancel flag is set (one round trip). */
  async cancelledAmong(runIds: readonly string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    const flags = await this.redis.mget(...runIds.map((id) => this.keys.runCancel(id)));
    return new Set(runIds.filter((_, i) => flags[i] !== null));
  }

  /**
   * Claims the right to apply a decision to the run parked at `step`: the approver's decision
   * endpoint and its sweep can both hold the same decision, and two resumes of one parked step
   * would both run the graph on and enqueue the next hop twice (a write run would then end
   * `outcome_unknown` at its second delivery). A lease, not a lock held forever: a claimant that
   * dies mid-resume leaves the decision to the next sweep once `leaseMs` has passed.
   * @returns false when another process holds the claim.
   */
  async claimResume(runId: string, step: number, holder: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.runResume(runId, step), holder, "PX", leaseMs, "NX")) === "OK";
  }

  /**
   * Drops the oldest `limit` entries of the run index whose run record is gone (its retention
   * TTL ran out): the index has no TTL of its own, so without this it would keep one member per
   * run ever made. Listing drops the ones it meets too; this covers a fleet nobody lists.
   * @returns how many entries were removed.
   */
  async pruneIndex(limit: number): Promise<number> {
    const ids = await this.redis.zrange(this.keys.runsIndex(), "0", String(limit - 1));
    if (ids.length === 0) return 0;
    const p = this.redis.pipeline();
    for (const id of ids) p.exists(this.keys.run(id));
    const exists = (await p.exec()) ?? [];
    const gone = ids.filter((_, i) => exists[i]?.[1] === 0);
    if (gone.length > 0) await this.redis.zrem(this.keys.runsIndex(), ...gone);
    return gone.length;
  }

  /** Counts one more requeue of the run's write hop; returns the count so far. */
  async countWriteRequeue(runId: string): Promise<number> {
    const key = this.keys.writeRequeues(runId);
    const [[, count] = []] = (await this.redis.multi().incr(key).expire(key, REQUEUE_COUNT_TTL_SECONDS).exec()) ?? [];
    return Number(count);
  }

  /** Ids of runs created in [`from`, `to`] (epoch ms), oldest first. */
  createdBetween(from: number, to: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.runsIndex(), from, to);
  }

  /**
   * Settles a run that ended `outcome_unknown` (status `completed` or `failed`, with the note);
   * the code never runs again.
   * @throws PyfleetError NOT_FOUND for an unknown run, RUN_NOT_RECONCILABLE when the run is not
   *   in `outcome_unknown` (e.g. already reconciled).
   */
  async reconcile(runId: string, input: Reconciliation, by: string, at: Date): Promise<{ status: RunStatus }> {
    const status: RunStatus = input.outcome === "succeeded" ? "completed" : "failed";
    const when = at.toISOString();
    const r = await this.redis.pyfleetRunReconcile(
      this.keys.run(runId),
      this.keys.runChanges(),
      JSON.stringify(status),
      JSON.stringify({ outcome: input.outcome, note: input.note, by, at: when }),
      JSON.stringify(when),
      runId,
      RUN_CHANGES_MAXLEN,
    );
    if (r === -1) throw new PyfleetError("NOT_FOUND", `run ${runId} does not exist`);
    if (r !== 1) {
      throw new PyfleetError(
        "RUN_NOT_RECONCILABLE",
        `run ${runId} is ${JSON.parse(String(r))}, not outcome_unknown: only runs whose write outcome is unknown can be reconciled`,
      );
    }
    return { status };
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
