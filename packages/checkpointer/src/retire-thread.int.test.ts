import { END, START, StateGraph, Annotation } from "@langchain/langgraph";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { threadKeys } from "./keys.js";
import { PlainRedisSaver } from "./plain-redis-saver.js";

/** A step-mode graph like the fleet's: interrupt before every node, one node per invoke. */
function stepGraph(saver: PlainRedisSaver) {
  const State = Annotation.Root({
    log: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
    big: Annotation<string>({ reducer: (_a, b) => b, default: () => "" }),
  });
  return new StateGraph(State)
    .addNode("a", () => ({ log: ["a"], big: "x".repeat(2000) }))
    .addNode("b", () => ({ log: ["b"] }))
    .addNode("c", () => ({ log: ["c"], big: "y".repeat(2000) }))
    .addEdge(START, "a")
    .addEdge("a", "b")
    .addEdge("b", "c")
    .addEdge("c", END)
    .compile({ checkpointer: saver, interruptBefore: ["a", "b", "c"] });
}

async function runToEnd(saver: PlainRedisSaver, threadId: string) {
  const graph = stepGraph(saver);
  const config = { configurable: { thread_id: threadId } };
  await graph.invoke({ log: ["start"] }, config);
  for (let i = 0; i < 3; i += 1) await graph.invoke(null, config);
  return { graph, config };
}

describe("PlainRedisSaver.retireThread", () => {
  let fx: RedisFixture;
  let saver: PlainRedisSaver;
  beforeEach(async () => {
    fx = await createRedisFixture("cp-retire");
    saver = new PlainRedisSaver(fx.redis, { prefix: `${fx.prefix}:cp` });
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("keeps the latest checkpoint's state exactly, drops the superseded ones, their blobs and writes, and sets the TTL", async () => {
    const { graph, config } = await runToEnd(saver, "run-done");
    const keys = threadKeys(saver.prefix, "run-done");
    const before = await graph.getState(config);
    const historyBefore = [];
    for await (const t of saver.list(config)) historyBefore.push(t);
    expect(historyBefore.length).toBeGreaterThan(3);
    const sizes = async () => (await Promise.all(Object.values(keys).map((k) => fx.redis.memory("USAGE", k)))).reduce<number>((n, b) => n + Number(b ?? 0), 0);
    const bytesBefore = await sizes();

    expect(await saver.retireThread("run-done", 120)).toBe(historyBefore.length - 1);

    const after = await graph.getState(config);
    expect(after.values).toEqual(before.values);
    expect(after.values.log).toEqual(["start", "a", "b", "c"]);
    expect(after.next).toEqual([]);
    expect(after.config).toEqual(before.config);
    const latest = await saver.getTuple(config);
    expect(latest?.checkpoint).toEqual((await saver.getTuple(before.config))?.checkpoint);
    const history = [];
    for await (const t of saver.list(config)) history.push(t.config.configurable?.checkpoint_id);
    expect(history).toEqual([historyBefore[0]?.config.configurable?.checkpoint_id]);
    // only the values the latest checkpoint references are left (one per channel), no writes
    expect(await fx.redis.hlen(keys.blobs)).toBe(Object.keys(latest?.checkpoint.channel_versions ?? {}).filter((c) => c in (latest?.checkpoint.channel_values ?? {})).length);
    expect(await fx.redis.hlen(keys.writes)).toBe(0);
    expect(await fx.redis.zcard(keys.windex)).toBe(0);
    expect(await sizes()).toBeLessThan(bytesBefore / 2);
    for (const key of [keys.checkpoints, keys.order, keys.blobs]) {
      const ttl = await fx.redis.ttl(key);
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    }
  });

  it("keeps the pending writes of the latest checkpoint (a parked or failed step) and what resuming needs", async () => {
    const graph = stepGraph(saver);
    const config = { configurable: { thread_id: "run-parked" } };
    await graph.invoke({ log: ["start"] }, config);
    await graph.invoke(null, config);
    const latest = await saver.getTuple(config);
    await saver.putWrites(latest!.config, [["log", ["pending"]]], "task-x");
    const before = await saver.getTuple(config);
    expect(before?.pendingWrites).toHaveLength(1);

    expect(await saver.retireThread("run-parked", 60)).toBeGreaterThan(0);

    expect(await saver.getTuple(config)).toEqual(before);
    // the graph resumes from what is left and finishes as the same run on an unretired thread
    const twin = { configurable: { thread_id: "run-twin" } };
    await graph.invoke({ log: ["start"] }, twin);
    await graph.invoke(null, twin);
    for (const c of [config, twin]) {
      await graph.invoke(null, c);
      await graph.invoke(null, c);
    }
    expect((await graph.getState(config)).values).toEqual((await graph.getState(twin)).values);
    expect((await graph.getState(config)).values.log).toEqual(["start", "a", "b", "c"]);
  });

  it("is per namespace and leaves other threads alone; a thread with nothing to drop only gets its TTL", async () => {
    await runToEnd(saver, "run-other");
    const other = threadKeys(saver.prefix, "run-other");
    const otherBlobs = await fx.redis.hlen(other.blobs);
    const one = await saver.put({ configurable: { thread_id: "run-ns", checkpoint_ns: "n1" } }, { ...(await saver.getTuple({ configurable: { thread_id: "run-other" } }))!.checkpoint }, { source: "loop", step: 0, parents: {} }, {});
    await saver.put({ configurable: { thread_id: "run-ns", checkpoint_ns: "n2" } }, { ...(await saver.getTuple(one))!.checkpoint, id: "z-later" }, { source: "loop", step: 1, parents: {} }, {});

    expect(await saver.retireThread("run-ns", 60)).toBe(0);
    expect(await saver.getTuple({ configurable: { thread_id: "run-ns", checkpoint_ns: "n1" } })).toBeDefined();
    expect(await saver.getTuple({ configurable: { thread_id: "run-ns", checkpoint_ns: "n2" } })).toBeDefined();
    expect(await fx.redis.hlen(other.blobs)).toBe(otherBlobs);
    expect(await fx.redis.ttl(other.checkpoints)).toBe(-1);
    await expect(saver.retireThread("run-ns", 0)).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
});
