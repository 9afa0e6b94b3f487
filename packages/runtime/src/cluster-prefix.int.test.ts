import { silentLogger } from "@pyfleet/core";
import { createFleet, type Fleet } from "@pyfleet/fleet";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDecisionKeys } from "./testing/approvals.js";
import { testConfig, testEnv } from "./testing/test-config.js";
import { waitForStatus } from "./testing/wait-for.js";
import { realPipelineBuilder } from "./wire/real-pipeline.js";

/**
 * The part of a key Redis Cluster hashes: the text inside the first `{…}` when it is non-empty,
 * else the whole key (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
 */
function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  const close = open >= 0 ? key.indexOf("}", open + 1) : -1;
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe("a hash-tag prefix keeps every key of the fleet in one Redis Cluster slot", () => {
  let fx: RedisFixture;
  let fleet: Fleet;
  let tag: string;

  beforeAll(async () => {
    fx = await createRedisFixture("slot");
    tag = fx.prefix;
    const env = testEnv(`{${tag}}`, { ...testDecisionKeys() });
    const config = testConfig(env);
    expect(config.redis.prefix).toBe(`{${tag}}`);
    ({ fleet } = await createFleet(config, {
      stages: ["generate", "analyze", "execute"],
      modes: ["read_only"],
      logger: silentLogger(),
      build: realPipelineBuilder(env),
    }));
  }, 60_000);
  afterAll(async () => {
    await fleet?.close();
    const keys = await fx.redis.keys(`{${tag}}*`);
    if (keys.length > 0) await fx.redis.del(...keys);
    await fx?.cleanup();
  });

  it("runs a run to completion, and queues, jobs, run records, events and checkpoints all hash by the tag", async () => {
    const { runId } = await fleet.submit({ user_query: "q", task_objective: "tagged", code: "results = {'x': 1}" });
    await waitForStatus((id) => fleet.get(id), runId, "completed");
    const keys = await fx.redis.keys(`*${tag}*`);
    const families = new Set(keys.map((k) => k.slice(`{${tag}}`.length).split(":")[1]));
    // BullMQ queues and jobs, run records and events, LangGraph checkpoints
    expect(keys.length).toBeGreaterThan(10);
    expect([...families]).toEqual(expect.arrayContaining(["bull", "run", "cp"]));
    expect(keys.filter((k) => hashTagOf(k) !== tag)).toEqual([]);
  });
});
