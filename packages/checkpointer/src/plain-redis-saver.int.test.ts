import { type Checkpoint, emptyCheckpoint, ERROR, uuid6 } from "@langchain/langgraph-checkpoint";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { threadKeysPattern, threadsIndexKey } from "./keys.js";
import { PlainRedisSaver } from "./plain-redis-saver.js";

/** CRC16-XMODEM, the checksum Redis Cluster uses for hash slots. */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The cluster hash slot of a key, honouring the first non-empty `{...}` hash tag. */
function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) return crc16(Buffer.from(key.slice(open + 1, close))) % 16384;
  }
  return crc16(Buffer.from(key)) % 16384;
}

const meta = { source: "loop" as const, step: 0, parents: {} };

function checkpointWith(values: Record<string, unknown>, versions: Record<string, number>): Checkpoint {
  return { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: versions };
}

async function scanThread(fx: RedisFixture, prefix: string, threadId: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await fx.redis.scan(cursor, "MATCH", threadKeysPattern(prefix, threadId), "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys.sort();
}

/** Puts a root checkpoint with one value and a write, so every key of the thread exists. */
async function seedThread(saver: PlainRedisSaver, threadId: string) {
  const config = await saver.put(
    { configurable: { thread_id: threadId, checkpoint_ns: "" } },
    checkpointWith({ a: 1 }, { a: 1 }),
    meta,
    { a: 1 },
  );
  await saver.putWrites(config, [["a", 2]], "task-1");
  return config;
}

describe("PlainRedisSaver on real Redis", () => {
  let fx: RedisFixture;
  let saver: PlainRedisSaver;
  beforeEach(async () => {
    fx = await createRedisFixture("cp");
    saver = new PlainRedisSaver(fx.redis, { prefix: fx.prefix });
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("expireThread puts a TTL on every key of the thread, and later writes keep it", async () => {
    const config = await seedThread(saver, "run-ttl");
    await seedThread(saver, "run-other");
    const keys = await scanThread(fx, fx.prefix, "run-ttl");
    expect(keys).toHaveLength(5);

    await saver.expireThread("run-ttl", 600);
    for (const key of keys) {
      const ttl = await fx.redis.ttl(key);
      expect(ttl, key).toBeGreaterThan(590);
      expect(ttl, key).toBeLessThanOrEqual(600);
    }
    for (const key of await scanThread(fx, fx.prefix, "run-other")) expect(await fx.redis.ttl(key), key).toBe(-1);

    await saver.put(config, checkpointWith({ a: 3 }, { a: 2 }), meta, { a: 2 });
    for (const key of await scanThread(fx, fx.prefix, "run-ttl")) expect(await fx.redis.ttl(key), key).toBeGreaterThan(0);
    const score = await fx.redis.zscore(threadsIndexKey(fx.prefix), "run-ttl");
    expect(Number(score)).toBeGreaterThan(Date.now());
    expect(await fx.redis.zscore(threadsIndexKey(fx.prefix), "run-other")).toBe("inf");
  });

  it("ttlSeconds refreshes the TTL of every key at each write", async () => {
    const withTtl = new PlainRedisSaver(fx.redis, { prefix: fx.prefix, ttlSeconds: 120 });
    await seedThread(withTtl, "run-short");
    const keys = await scanThread(fx, fx.prefix, "run-short");
    expect(keys).toHaveLength(5);
    for (const key of keys) expect(await fx.redis.ttl(key), key).toBeGreaterThan(110);
  });

  it("keeps all keys of a thread in one cluster hash slot, different threads in different slots", async () => {
    const threads = ["run-a", "run-b", "weird}{:id*", "run-d"];
    const slots = new Set<number>();
    for (const threadId of threads) {
      await seedThread(saver, threadId);
      const keys = await scanThread(fx, fx.prefix, threadId);
      expect(keys).toHaveLength(5);
      const threadSlots = new Set(keys.map(keySlot));
      expect(threadSlots.size, threadId).toBe(1);
      slots.add([...threadSlots][0]!);
    }
    expect(slots.size).toBe(threads.length);
  });

  it("keeps a regular write on retry but overwrites a special-channel write", async () => {
    const config = await seedThread(saver, "run-writes");
    await saver.putWrites(config, [["a", 99]], "task-1");
    await saver.putWrites(config, [[ERROR, "first failure"]], "task-2");
    await saver.putWrites(config, [[ERROR, "second failure"]], "task-2");
    const tuple = await saver.getTuple(config);
    expect(tuple?.pendingWrites).toEqual([
      ["task-1", "a", 2],
      ["task-2", ERROR, "second failure"],
    ]);
  });

  it("two children of one parent reaching the same version keep their own values (duplicate step)", async () => {
    const parent = await saver.put(
      { configurable: { thread_id: "run-dup", checkpoint_ns: "" } },
      checkpointWith({ code: "v0", request: "r" }, { code: 1, request: 1 }),
      meta,
      { code: 1, request: 1 },
    );
    const first = await saver.put(parent, checkpointWith({ code: "worker-A", request: "r" }, { code: 2, request: 1 }), meta, {
      code: 2,
    });
    const second = await saver.put(
      parent,
      checkpointWith({ code: "worker-B", request: "r" }, { code: 2, request: 1 }),
      meta,
      { code: 2 },
    );
    expect((await saver.getTuple(first))?.checkpoint.channel_values).toEqual({ code: "worker-A", request: "r" });
    expect((await saver.getTuple(second))?.checkpoint.channel_values).toEqual({ code: "worker-B", request: "r" });
    expect((await saver.getTuple(parent))?.checkpoint.channel_values).toEqual({ code: "v0", request: "r" });
  });

  it("lists newest first with before / limit / metadata filter, across namespaces", async () => {
    let config = await saver.put(
      { configurable: { thread_id: "run-list", checkpoint_ns: "" } },
      checkpointWith({}, {}),
      { ...meta, step: -1, source: "input" },
      {},
    );
    const ids = [config.configurable?.checkpoint_id as string];
    for (let step = 0; step < 3; step += 1) {
      config = await saver.put(config, checkpointWith({}, {}), { ...meta, step }, {});
      ids.push(config.configurable?.checkpoint_id as string);
    }
    await saver.put({ configurable: { thread_id: "run-list", checkpoint_ns: "sub:1" } }, checkpointWith({}, {}), meta, {});
    const list = async (cfg: Record<string, unknown>, opts = {}) => {
      const out: string[] = [];
      for await (const t of saver.list({ configurable: cfg }, opts)) out.push(t.checkpoint.id);
      return out;
    };
    const root = { thread_id: "run-list", checkpoint_ns: "" };
    expect(await list(root)).toEqual([...ids].reverse());
    expect(await list(root, { limit: 2 })).toEqual([ids[3], ids[2]]);
    expect(await list(root, { before: { configurable: { checkpoint_id: ids[2] } } })).toEqual([ids[1], ids[0]]);
    expect(await list(root, { filter: { source: "input" } })).toEqual([ids[0]]);
    expect(await list(root, { filter: { step: 1, source: "loop" } })).toEqual([ids[2]]);
    expect(await list({ thread_id: "run-list" })).toHaveLength(5);
    expect(await list({ thread_id: "run-list", checkpoint_ns: "sub:1" })).toHaveLength(1);
  });

  it("lists across live threads only, and expireThread prunes index entries past their retention", async () => {
    await seedThread(saver, "run-live");
    await seedThread(saver, "run-past");
    const index = threadsIndexKey(fx.prefix);
    await fx.redis.zadd(index, Date.now() - 1000, "run-past");
    const threads = new Set<string>();
    for await (const t of saver.list({ configurable: {} })) threads.add(t.config.configurable?.thread_id);
    expect([...threads]).toEqual(["run-live"]);

    await saver.expireThread("run-live", 60);
    expect(await fx.redis.zrange(index, "0", "-1")).toEqual(["run-live"]);
  });

  it("pruneThreadIndex drops index entries past their retention without a run ending, and keeps live ones", async () => {
    await seedThread(saver, "run-live");
    await seedThread(saver, "run-past-1");
    await seedThread(saver, "run-past-2");
    const index = threadsIndexKey(fx.prefix);
    await saver.retireThread("run-live", 60);
    for (const id of ["run-past-1", "run-past-2"]) await fx.redis.zadd(index, Date.now() - 1000, id);
    expect(await saver.pruneThreadIndex()).toBe(2);
    expect(await fx.redis.zrange(index, "0", "-1")).toEqual(["run-live"]);
    expect(await saver.pruneThreadIndex()).toBe(0);
  });

  it("deleteThread removes every key of the thread and its index entry, nothing else", async () => {
    await seedThread(saver, "run-del");
    await seedThread(saver, "run-keep");
    await saver.deleteThread("run-del");
    expect(await scanThread(fx, fx.prefix, "run-del")).toEqual([]);
    expect(await fx.redis.zscore(threadsIndexKey(fx.prefix), "run-del")).toBeNull();
    expect(await scanThread(fx, fx.prefix, "run-keep")).toHaveLength(5);
    expect(await saver.getTuple({ configurable: { thread_id: "run-keep" } })).toBeDefined();
  });

  it("rejects a missing thread id and a bad TTL with pyfleet error codes", async () => {
    await expect(saver.put({ configurable: {} }, checkpointWith({}, {}), meta, {})).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    await expect(saver.expireThread("run-x", 0)).rejects.toMatchObject({ code: "CONFIG_INVALID" });
    expect(() => new PlainRedisSaver(fx.redis, { prefix: "has space" })).toThrow(/invalid checkpoint key prefix/);
  });
});
