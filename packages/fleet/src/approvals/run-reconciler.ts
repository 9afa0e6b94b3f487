import { type Clock, PyfleetError, type RedisKeys, type RunStatus, systemClock } from "@pyfleet/core";
import type { Redis } from "ioredis";

// Only a run in `outcome_unknown` can be settled; fields are JSON-encoded like every run field.
const RECONCILE_LUA = `
local cur = redis.call('HGET', KEYS[1], 'status')
if not cur then return -1 end
if cjson.decode(cur) ~= 'outcome_unknown' then return cur end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'reconciliation', ARGV[2], 'updatedAt', ARGV[3])
return 1`;

/**
 * Settles runs that ended `outcome_unknown` (a write execution whose outcome nobody knows
 * after a crash): an admin checks the machine and records `succeeded` (→ completed) or
 * `failed` (→ failed) with a note. The code is never run again.
 */
export class RunReconciler {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * @throws PyfleetError NOT_FOUND for an unknown run, RUN_NOT_RECONCILABLE when the run is
   *   not in `outcome_unknown` (e.g. already reconciled).
   */
  async reconcile(runId: string, input: { outcome: "succeeded" | "failed"; note: string }, by: string): Promise<{ status: RunStatus }> {
    const status: RunStatus = input.outcome === "succeeded" ? "completed" : "failed";
    const at = this.clock.now().toISOString();
    const r = (await this.redis.eval(
      RECONCILE_LUA,
      1,
      this.keys.run(runId),
      JSON.stringify(status),
      JSON.stringify({ outcome: input.outcome, note: input.note, by, at }),
      JSON.stringify(at),
    )) as number | string;
    if (r === -1) throw new PyfleetError("NOT_FOUND", `run ${runId} does not exist`);
    if (r !== 1) {
      throw new PyfleetError(
        "RUN_NOT_RECONCILABLE",
        `run ${runId} is ${JSON.parse(String(r))}, not outcome_unknown: only runs whose write outcome is unknown can be reconciled`,
      );
    }
    return { status };
  }
}
