import { createFleet, type Fleet } from "@pyfleet/fleet";
import { RedisKeys, silentLogger } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testConfig, testEnv } from "./testing/test-config.js";
import { waitForStatus } from "./testing/wait-for.js";
import { realPipelineBuilder } from "./wire/real-pipeline.js";

describe("the run index after retention (real Redis, real executor)", () => {
  let fx: RedisFixture;
  let fleet: Fleet;

  beforeAll(async () => {
    fx = await createRedisFixture("run-index");
    const env = testEnv(fx.prefix);
    ({ fleet } = await createFleet(testConfig(env), { stages: ["analyze", "execute"], modes: ["read_only"], logger: silentLogger(), build: realPipelineBuilder(env) }));
  });
  afterAll(async () => {
    await fleet?.close();
    await fx?.cleanup();
  });

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
