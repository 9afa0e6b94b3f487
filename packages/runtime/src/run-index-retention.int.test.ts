import { threadsIndexKey } from "@pyfleet/checkpointer";
import { RedisKeys } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import type { RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";

describe("the run index after retention (real Redis, real executor)", () => {
  let t: TestFleet;
  let fx: RedisFixture;
  let fleet: Fleet;

  beforeAll(async () => {
    t = await startTestFleet({ tag: "run-index", stages: ["analyze", "execute"], modes: ["read_only"] });
    ({ fleet, redis: fx } = t);
  });
  afterAll(() => t?.cleanup());

  it("drops the entries of runs whose record expired, oldest first, and keeps the retained ones", async () => {
    const keys = new RedisKeys(fx.prefix);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const { runId } = await fleet.submit({ user_query: "q", task_objective: "t", code: `results = {'n': ${n}}` });
      await waitForStatus((id) => fleet.get(id), runId, "completed", 30_000);
      ids.push(runId);
    }
    // finished runs carry the retention TTL; the index member does not
    expect(await fx.redis.ttl(keys.run(ids[0]!))).toBeGreaterThan(0);
    expect(await fx.redis.ttl(keys.runsIndex())).toBe(-1);
    // the retention of the first two runs ran out
    await fx.redis.del(keys.run(ids[0]!), keys.run(ids[1]!));
    expect(await fleet.pruneRunIndex(1)).toBe(1);
    expect(await fx.redis.zrange(keys.runsIndex(), "0", "-1")).toEqual([ids[1], ids[2]]);
    expect(await fleet.pruneRunIndex()).toBe(1);
    expect(await fx.redis.zrange(keys.runsIndex(), "0", "-1")).toEqual([ids[2]]);
    expect(await fleet.pruneRunIndex()).toBe(0);
  }, 90_000);

  it("prunes the checkpoints' thread index of threads whose retention ran out, with no run ending (the sweep's call)", async () => {
    const index = threadsIndexKey(new RedisKeys(fx.prefix).checkpointPrefix);
    const { runId } = await fleet.submit({ user_query: "q", task_objective: "t", code: "results = {'n': 4}" });
    await waitForStatus((id) => fleet.get(id), runId, "completed", 30_000);
    // every finished run's thread is indexed with its retention's end
    const threads = await fx.redis.zrange(index, "0", "-1", "WITHSCORES");
    expect(threads.length).toBe(8);
    for (let i = 1; i < threads.length; i += 2) expect(Number(threads[i])).toBeGreaterThan(Date.now());
    // the retention of all but the newest ran out; an idle fleet retires nothing that would prune them
    const members = threads.filter((_, i) => i % 2 === 0);
    const newest = members.at(-1)!;
    for (const m of members.filter((m) => m !== newest)) await fx.redis.zadd(index, Date.now() - 1000, m);
    expect(await fleet.pruneThreadIndex()).toBe(3);
    expect(await fx.redis.zrange(index, "0", "-1")).toEqual([newest]);
    expect(await fleet.pruneThreadIndex()).toBe(0);
  }, 90_000);
});
