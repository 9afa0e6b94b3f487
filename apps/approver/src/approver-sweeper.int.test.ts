import { RedisKeys, type RunRecord, silentLogger } from "@pyfleet/core";
import { type ApprovalStore, AuditLog } from "@pyfleet/fleet";
import { testApprovalStore } from "@pyfleet/runtime/testing";
import { createRedisFixture, type RedisFixture, testApprovalRequest } from "@pyfleet/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApproverSweeper, type SweeperFleetPort } from "./approver-sweeper.js";

/** A sweeper that counts its rounds (the replica's own view of how often it swept). */
class CountingSweeper extends ApproverSweeper {
  rounds = 0;
  override async sweep() {
    this.rounds++;
    return super.sweep();
  }
}

describe("ApproverSweeper on a BullMQ job scheduler (two approver replicas, real Redis)", () => {
  let fx: RedisFixture;
  let keys: RedisKeys;
  const sweepers: CountingSweeper[] = [];
  /** Runs each replica was asked to end as approval_expired. */
  const expiredRuns: string[] = [];

  /** One approver replica: its own Redis connection, store and sweeper, sharing the fleet's keys. */
  const replica = (expirySeconds: number, intervalMs: number): { sweeper: CountingSweeper; store: ApprovalStore } => {
    const redis = fx.connect();
    const { store } = testApprovalStore(redis, fx.prefix, undefined, { expirySeconds });
    const fleet: SweeperFleetPort = {
      resumeRun: async () => undefined,
      expireRun: async (runId) => {
        expiredRuns.push(runId);
      },
      get: async (): Promise<RunRecord | null> => null,
      pruneRunIndex: async () => 0,
      pruneThreadIndex: async () => 0,
      cleanAgedJobs: async () => ({ completed: 0, failed: 0, streamEntries: 0 }),
    };
    const sweeper = new CountingSweeper(store, fleet, silentLogger(), { redis, prefix: keys.bullPrefix, intervalMs });
    sweepers.push(sweeper);
    return { sweeper, store };
  };

  beforeEach(async () => {
    fx = await createRedisFixture("sweep");
    keys = new RedisKeys(fx.prefix);
    expiredRuns.length = 0;
  });
  afterEach(async () => {
    await Promise.all(sweepers.splice(0).map((s) => s.close()));
    await fx?.cleanup();
  });

  it("sweeps once per period for the whole fleet, not once per replica", async () => {
    const intervalMs = 400;
    const a = replica(600, intervalMs).sweeper;
    const b = replica(600, intervalMs).sweeper;
    await Promise.all([a.start(), b.start()]);
    const windowMs = 4000;
    await new Promise((r) => setTimeout(r, windowMs));
    await Promise.all([a.close(), b.close()]);
    const total = a.rounds + b.rounds;
    // one sweep per period: ~10 in the window; a sweep per replica would be ~20
    expect(total).toBeGreaterThanOrEqual(4);
    expect(total).toBeLessThanOrEqual(windowMs / intervalMs + 2);
  });

  it("an expired approval still expires, once, ending its run once", async () => {
    const first = replica(1, 300);
    const second = replica(1, 300);
    const rec = await first.store.create(testApprovalRequest("run-exp"), { checkpointNs: "" });
    await Promise.all([first.sweeper.start(), second.sweeper.start()]);
    await expect.poll(async () => (await first.store.get(rec.id))?.status, { timeout: 8000, interval: 100 }).toBe("expired");
    // a few more periods: nobody ends the run a second time
    await new Promise((r) => setTimeout(r, 1000));
    expect(expiredRuns).toEqual(["run-exp"]);
    const audit = (await new AuditLog(fx.redis, keys).tail(50)).filter((e) => e.type === "approval.expired");
    expect(audit.map((e) => e.data.approvalId)).toEqual([rec.id]);
    expect(first.sweeper.rounds + second.sweeper.rounds).toBeGreaterThanOrEqual(2);
  });
});
