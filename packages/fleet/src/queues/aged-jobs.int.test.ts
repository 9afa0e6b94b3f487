import { RedisKeys } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { Queue, UnrecoverableError, Worker } from "bullmq";
import { afterEach, expect, it } from "vitest";
import { cleanAgedJobs } from "./aged-jobs.js";
import { stageJobId } from "./job.js";
import type { QueueName } from "./queue-for.js";

let fx: RedisFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

it("removes finished jobs only of runs whose record is gone, never another job, and trims older stream entries", async () => {
  fx = await createRedisFixture("aged-jobs");
  const keys = new RedisKeys(fx.prefix);
  const queue = new Queue("analyze", { connection: fx.connect(), prefix: keys.bullPrefix });
  const worker = new Worker("analyze", async (job) => {
    if (job.data.fail) throw new UnrecoverableError("fails on purpose");
    return "ok";
  }, { connection: fx.connect(), prefix: keys.bullPrefix });
  try {
    // run "live" still has its record; "gone" and "gone-failed" do not; "other" is not a stage job id
    await fx.redis.set(keys.run("live"), "{}");
    const ids = [stageJobId("live", 0, "analyze"), stageJobId("gone", 0, "analyze"), stageJobId("gone-failed", 0, "analyze"), "other"];
    for (const id of ids) await queue.add("analyze", { fail: id.startsWith("gone-failed") }, { jobId: id });
    await expect.poll(async () => (await queue.getJobCounts("completed", "failed")), { timeout: 10_000 }).toEqual({ completed: 3, failed: 1 });
    await fx.redis.xadd(keys.runChanges(), "*", "run", "gone");
    const target = { redis: fx.redis, keys, queues: new Map<QueueName, Queue>([["analyze", queue]]), retentionSeconds: 1 };

    // nothing finished more than the retention ago yet
    expect(await cleanAgedJobs({ ...target, retentionSeconds: 60 })).toEqual({ completed: 0, failed: 0, streamEntries: 0 });
    await new Promise((r) => setTimeout(r, 1200));
    const cleaned = await cleanAgedJobs(target);
    expect(cleaned).toMatchObject({ completed: 1, failed: 1 });
    expect(cleaned.streamEntries).toBeGreaterThan(1);
    expect((await queue.getJobs(["completed", "failed"])).map((j) => j.id).sort()).toEqual(["live.0.analyze", "other"]);
    expect(await fx.redis.exists(`${keys.bullPrefix}:analyze:gone.0.analyze`, `${keys.bullPrefix}:analyze:gone-failed.0.analyze`)).toBe(0);
    expect(await fx.redis.xlen(keys.runChanges())).toBe(0);
    // a second pass finds nothing more to remove
    expect(await cleanAgedJobs(target)).toMatchObject({ completed: 0, failed: 0 });
  } finally {
    await worker.close();
    await queue.close();
  }
});
