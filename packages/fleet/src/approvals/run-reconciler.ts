import { type Clock, type RedisKeys, type RunStatus, systemClock } from "@pyfleet/core";
import type { Redis } from "ioredis";
import { type Reconciliation, RunStore } from "../runs/run-store.js";

/**
 * Settles runs that ended `outcome_unknown` (a write execution whose outcome nobody knows
 * after a crash): an admin checks the machine and records `succeeded` (→ completed) or
 * `failed` (→ failed) with a note. The code is never run again. The run record is the
 * {@link RunStore}'s: this is the admin's door to {@link RunStore.reconcile}.
 */
export class RunReconciler {
  private readonly runs: RunStore;

  constructor(
    redis: Redis,
    keys: RedisKeys,
    private readonly clock: Clock = systemClock,
  ) {
    // retention only matters when a run finishes; reconciling never changes a TTL
    this.runs = new RunStore(redis, keys, 0);
  }

  /**
   * @throws PyfleetError NOT_FOUND for an unknown run, RUN_NOT_RECONCILABLE when the run is
   *   not in `outcome_unknown` (e.g. already reconciled).
   */
  reconcile(runId: string, input: Reconciliation, by: string): Promise<{ status: RunStatus }> {
    return this.runs.reconcile(runId, input, by, this.clock.now());
  }
}
