import type { Fleet } from "@pyfleet/fleet";
import { RedisKeys } from "@pyfleet/core";
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
});
