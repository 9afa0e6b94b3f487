import { RedisKeys } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture, testRunRecord } from "@pyfleet/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RunStore } from "../runs/run-store.js";
import { RunReconciler } from "./run-reconciler.js";

describe("RunReconciler", () => {
  let fx: RedisFixture;
  let runs: RunStore;
  let rec: RunReconciler;
  beforeEach(async () => {
    fx = await createRedisFixture("reconcile");
    const keys = new RedisKeys(fx.prefix);
    runs = new RunStore(fx.redis, keys, 600);
    rec = new RunReconciler(fx.redis, keys);
  });
  afterEach(() => fx.cleanup());

  const make = (runId: string) => runs.create(testRunRecord(runId, { threadId: `t-${runId}`, status: "executing", stage: "execute" }));

  it("settles an outcome_unknown run once and refuses everything else", async () => {
    await make("r1");
    await expect(rec.reconcile("r1", { outcome: "succeeded", note: "n" }, "root")).rejects.toMatchObject({ code: "RUN_NOT_RECONCILABLE" });
    await runs.finish("r1", "outcome_unknown", {}, new Date());
    await expect(rec.reconcile("r1", { outcome: "failed", note: "magnet tripped, value not applied" }, "root")).resolves.toEqual({ status: "failed" });
    const after = await runs.get("r1");
    expect(after?.status).toBe("failed");
    expect(after?.reconciliation).toMatchObject({ outcome: "failed", by: "root", note: "magnet tripped, value not applied" });
    await expect(rec.reconcile("r1", { outcome: "succeeded", note: "again" }, "root")).rejects.toMatchObject({ code: "RUN_NOT_RECONCILABLE", message: expect.stringContaining("is failed") });
    await expect(rec.reconcile("nope", { outcome: "succeeded", note: "x" }, "root")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
