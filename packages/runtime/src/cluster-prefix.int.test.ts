import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";

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
  let t: TestFleet;
  let tag: string;

  beforeAll(async () => {
    t = await startTestFleet({ tag: "slot", hashTagPrefix: true, stages: ["generate", "analyze", "execute"], modes: ["read_only"] });
    tag = t.redis.prefix;
    expect(t.config.redis.prefix).toBe(`{${tag}}`);
  }, 60_000);
  afterAll(() => t?.cleanup());

  it("runs a run to completion, and queues, jobs, run records, events and checkpoints all hash by the tag", async () => {
    const { fleet, redis: fx } = t;
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
