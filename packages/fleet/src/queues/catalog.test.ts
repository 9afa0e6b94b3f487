import { describe, expect, it } from "vitest";
import type { FleetConfig } from "../config.js";
import { defaultJobOptions, isWriteQueue, servedQueues } from "./catalog.js";
import { runIdOfStageJob, StageJobSchema, stageJobId } from "./job.js";

const queues = {
  generate: { concurrency: 4, attempts: 3, backoff_ms: 1000 },
  analyze: { concurrency: 8, attempts: 3, backoff_ms: 500 },
  execute_read_only: { concurrency: 2, attempts: 3, backoff_ms: 1000 },
  execute_write_access: { concurrency: 1, attempts: 1, backoff_ms: 1000 },
  write_fleet_concurrency: 1,
  keep_completed: 1000,
  keep_failed: 5000,
  drain_seconds: 30,
};
const config = { queues, runs: { retention_seconds: 3600 } } as unknown as FleetConfig;

describe("queue catalog", () => {
  it("gives each queue its attempts, exponential backoff and retention", () => {
    expect(defaultJobOptions(config, "analyze")).toEqual({
      attempts: 3,
      backoff: { type: "exponential", delay: 500 },
      removeOnComplete: { count: 1000, age: 3600 },
      removeOnFail: { count: 5000 },
    });
    expect(defaultJobOptions(config, "execute.write_access").attempts).toBe(1);
  });

  it("maps stages and modes to queues; execute needs a mode", () => {
    expect(servedQueues(["generate", "analyze", "execute"], ["read_only"])).toEqual(["generate", "analyze", "execute.read_only"]);
    expect(servedQueues(["execute"], ["write_access"])).toEqual(["execute.write_access"]);
    expect(() => servedQueues(["execute"], [])).toThrow(/needs a mode/);
    expect(isWriteQueue("execute.write_access")).toBe(true);
    expect(isWriteQueue("execute.read_only")).toBe(false);
  });

  it("builds job ids BullMQ accepts (no ':') that are the same for the same hop", () => {
    const id = stageJobId("0b9c6f1e-1111-4a2b-9c3d-123456789abc", 2, "execute");
    expect(id).toBe("0b9c6f1e-1111-4a2b-9c3d-123456789abc.2.execute");
    expect(id).not.toContain(":");
  });

  it("reads the run id back from a stage job id, and nothing from other ids", () => {
    expect(runIdOfStageJob(stageJobId("8c1e.9-x", 12, "execute"))).toBe("8c1e.9-x");
    expect(runIdOfStageJob("other")).toBeNull();
    expect(runIdOfStageJob("r.1.sweep")).toBeNull();
  });

  it("validates job payloads strictly", () => {
    const ok = { runId: "r", threadId: "t", checkpointNs: "", node: "analyze", step: 0 };
    expect(StageJobSchema.parse(ok)).toEqual(ok);
    expect(StageJobSchema.safeParse({ ...ok, node: "deploy" }).success).toBe(false);
    expect(StageJobSchema.safeParse({ ...ok, step: -1 }).success).toBe(false);
    expect(StageJobSchema.safeParse({ ...ok, extra: 1 }).success).toBe(false);
  });
});
