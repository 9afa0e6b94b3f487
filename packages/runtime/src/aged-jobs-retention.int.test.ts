import { RedisKeys } from "@pyfleet/core";
import { Dispatcher, stageJobId } from "@pyfleet/fleet";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";

/** Retention of run records and checkpoints in this test (the schema's minimum is 60 s; set past it). */
const RETENTION_S = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found.sort();
}

describe("finished stage jobs after their run's retention (real Redis, real executor)", () => {
  let t: TestFleet;
  let redis: Redis;
  let keys: RedisKeys;

  beforeAll(async () => {
    t = await startTestFleet({
      tag: "aged-jobs",
      stages: ["analyze", "execute"],
      modes: ["read_only"],
      configure: (c) => {
        c.runs.retention_seconds = RETENTION_S;
        c.checkpointer.retention_seconds = RETENTION_S;
      },
    });
    redis = t.redis.redis;
    keys = new RedisKeys(t.prefix);
  });
  afterAll(() => t?.cleanup());

  /** Keys of a run anywhere under the fleet's prefix (record, events, checkpoints, jobs). */
  const keysOfRun = (runId: string) => scanKeys(redis, `${t.prefix}*${runId}*`);
  const bullKeys = () => scanKeys(redis, `${keys.bullPrefix}:*`);
  /** Entries of the queues' event streams and the run-change stream older than the retention. */
  async function oldStreamEntries(): Promise<number> {
    const [seconds, micros] = await redis.time();
    const before = `${Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - RETENTION_S * 1000 - 1}`;
    const streams = [...(await scanKeys(redis, `${keys.bullPrefix}:*:events`)), keys.runChanges()];
    let n = 0;
    for (const s of streams) n += (await redis.xrange(s, "-", before)).length;
    return n;
  }

  it("an idle fleet drops them (and older stream entries) once the run's record is gone; a retained run keeps its jobs; a late duplicate of a removed hop runs nothing", async () => {
    const baseline = await bullKeys();
    const submit = async (n: number) => {
      const { runId } = await t.fleet.submit({ user_query: "q", task_objective: "t", code: `results = {'n': ${n}}` });
      await waitForStatus((id) => t.fleet.get(id), runId, "completed", 30_000);
      return runId;
    };
    const expired = [await submit(1), await submit(2), await submit(3)];
    // a run still retained when the clean runs (its record kept, as for a run that ended later)
    const kept = await submit(4);
    expect(await redis.persist(keys.run(kept))).toBe(1);
    await sleep(RETENTION_S * 1000 + 1500);

    // the issue: the records are gone, BullMQ still holds their jobs (no later job completed)
    for (const id of expired) expect(await redis.exists(keys.run(id))).toBe(0);
    const jobsBefore = (await bullKeys()).filter((k) => expired.some((id) => k.includes(id)));
    expect(jobsBefore.length).toBeGreaterThan(0);
    expect(await oldStreamEntries()).toBeGreaterThan(0);

    const keptJobs = (await keysOfRun(kept)).filter((k) => k.startsWith(keys.bullPrefix));
    // this in-process fleet serves analyze and execute, so each run's execute hop continues in the analyze job
    expect(keptJobs).toEqual([`${keys.bullPrefix}:analyze:${stageJobId(kept, 0, "analyze")}`]);
    const cleaned = await t.fleet.cleanAgedJobs();
    expect(cleaned.completed).toBe(jobsBefore.length);
    for (const id of expired) expect(await keysOfRun(id), id).toEqual([]);
    expect(await oldStreamEntries()).toBe(0);
    // the retained run's hop keeps its job (and so its job id)
    expect((await keysOfRun(kept)).filter((k) => k.startsWith(keys.bullPrefix))).toEqual(keptJobs);

    // a late duplicate of a removed hop: dropped as a duplicate (not a failed job), nothing runs,
    // nothing of the run comes back
    const late = expired[0]!;
    const dispatcher = new Dispatcher(redis, keys.bullPrefix, t.config);
    try {
      const { jobId } = await dispatcher.dispatch({ runId: late, threadId: `run-${late}`, checkpointNs: "", node: "analyze", step: 0, mode: null });
      await expect.poll(async () => (await dispatcher.queue("analyze").getJob(jobId))?.getState(), { timeout: 15_000 }).toBe("completed");
    } finally {
      await dispatcher.close();
    }
    expect((await keysOfRun(late)).filter((k) => !k.startsWith(keys.bullPrefix))).toEqual([]);

    // one retention later, with the kept run's record gone too: only the fleet's own queue keys are left
    await redis.del(keys.run(kept));
    await sleep(RETENTION_S * 1000 + 1500);
    const second = await t.fleet.cleanAgedJobs();
    // the kept run's jobs and the late duplicate's (completed: BullMQ's own age-out may have taken
    // some when the late job completed); none failed
    expect(second.failed).toBe(0);
    expect(second.completed).toBeGreaterThan(0);
    for (const id of [...expired, kept]) expect(await keysOfRun(id), id).toEqual([]);
    const extra = (await bullKeys()).filter((k) => !baseline.includes(k));
    // BullMQ's per-queue bookkeeping (event stream, stalled check, sets emptied by the clean are deleted by Redis)
    expect(extra.filter((k) => !/:(events|stalled-check|id)$/.test(k)), JSON.stringify(extra)).toEqual([]);
    for (const k of await scanKeys(redis, `${keys.bullPrefix}:*:completed`)) expect(await redis.zcard(k), k).toBe(0);
  }, 120_000);
});
