import { RedisKeys } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import type { RedisFixture } from "@pyfleet/testing";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";

/**
 * Fleet.recoverSubmissions (what a producer runs for submissions whose producer died mid-way),
 * against real Redis and BullMQ: the crash states are made by hand in the run record and the
 * queue, as a producer killed between the steps of a submit leaves them. No worker runs, so
 * every job stays where recovery put it.
 */
describe("recoverSubmissions", () => {
  let t: TestFleet;
  let fx: RedisFixture;
  let fleet: Fleet;
  let keys: RedisKeys;
  const queues = new Map<string, Queue>();
  const queue = (name: string) => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: fx.redis.duplicate(), prefix: keys.bullPrefix });
      queues.set(name, q);
    }
    return q;
  };
  const pending = async (runId: string) => JSON.parse((await fx.redis.hget(keys.run(runId), "pendingJob")) as string) as { queue: string; jobId: string } | null;
  const submit = async (label: string) => (await fleet.submit({ user_query: "q", task_objective: label, code: "results = {}" }, { requester: "carol" })).runId;

  beforeAll(async () => {
    // a producer: it serves no stage, so queued jobs stay queued
    t = await startTestFleet({ tag: "recover" });
    ({ fleet, redis: fx } = t);
    keys = new RedisKeys(fx.prefix);
  });
  afterAll(async () => {
    await Promise.all([...queues.values()].map((q) => q.close()));
    await t?.cleanup();
  });

  it("dispatches again a queued run whose job never reached its queue, once, with the same job id", async () => {
    const runId = await submit("lost job");
    const job = await pending(runId);
    expect(job).not.toBeNull();
    // the producer died after storing the record, before BullMQ kept the job
    await queue(job?.queue as string).remove(job?.jobId as string);
    expect(await queue(job?.queue as string).getJob(job?.jobId as string)).toBeUndefined();

    expect(await fleet.recoverSubmissions(0)).toMatchObject({ redispatched: 1 });
    const back = await queue(job?.queue as string).getJob(job?.jobId as string);
    expect(back?.data).toMatchObject({ runId, step: 0 });
    // a second pass (another producer, or the next sweep) finds the job and does not double it
    expect(await fleet.recoverSubmissions(0)).toMatchObject({ redispatched: 0 });
    expect((await fleet.get(runId))?.status).toBe("queued");
  });

  it("fails a run that never reached its first hop (no job was ever made), with a sentence", async () => {
    const runId = await submit("never queued");
    const job = await pending(runId);
    await queue(job?.queue as string).remove(job?.jobId as string);
    await fx.redis.hset(keys.run(runId), "pendingJob", "null");

    const { failed } = await fleet.recoverSubmissions(0);
    expect(failed).toBeGreaterThanOrEqual(1);
    const rec = await fleet.get(runId);
    expect(rec?.status).toBe("failed");
    expect(rec?.error).toMatchObject({ code: "INTERNAL" });
    expect(rec?.error?.message).toMatch(/submit it again/);
  });

  it("leaves alone runs younger than the grace period, runs whose job is queued, and runs past their first hop; a corrupt record does not stop the pass", async () => {
    const young = await submit("young");
    const youngJob = await pending(young);
    await queue(youngJob?.queue as string).remove(youngJob?.jobId as string);
    const intact = await submit("intact");
    const corrupt = await submit("corrupt");
    await fx.redis.hset(keys.run(corrupt), "status", "{not json");
    const moved = await submit("moved on");
    const movedJob = await pending(moved);
    await queue(movedJob?.queue as string).remove(movedJob?.jobId as string);
    await fx.redis.hset(keys.run(moved), "step", "1");

    // an hour of grace: nothing submitted just now is touched
    expect(await fleet.recoverSubmissions(3_600_000)).toEqual({ redispatched: 0, failed: 0 });
    expect(await queue(youngJob?.queue as string).getJob(youngJob?.jobId as string)).toBeUndefined();

    const { redispatched } = await fleet.recoverSubmissions(0);
    // only the young run (its job is gone, it is still at step 0) comes back
    expect(redispatched).toBe(1);
    expect(await queue(youngJob?.queue as string).getJob(youngJob?.jobId as string)).toBeDefined();
    expect(await queue(movedJob?.queue as string).getJob(movedJob?.jobId as string)).toBeUndefined();
    for (const id of [young, intact, moved]) expect((await fleet.get(id))?.status).toBe("queued");
  });
});
