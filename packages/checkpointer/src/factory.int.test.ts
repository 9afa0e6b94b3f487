import { randomBytes } from "node:crypto";
import { PyfleetError } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCheckpointer, loadedModules } from "./factory.js";
import { expireOfficialThread } from "./official-keys.js";
import { PlainRedisSaver } from "./plain-redis-saver.js";

describe("createCheckpointer on the machine's Redis 7 (no modules)", () => {
  let fx: RedisFixture;
  beforeEach(async () => {
    fx = await createRedisFixture("cpfactory");
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  it("sees no search / JSON module", async () => {
    const modules = await loadedModules(fx.redis);
    expect(modules.map((m) => m.toLowerCase())).not.toContain("search");
    expect(modules).not.toContain("ReJSON");
  });

  it("auto falls back to the plain saver, which then works end to end", async () => {
    const cp = await createCheckpointer({ type: "auto", redis: fx.redis, url: fx.url, prefix: fx.prefix });
    expect(cp.kind).toBe("redis");
    expect(cp.saver).toBeInstanceOf(PlainRedisSaver);
    expect((cp.saver as PlainRedisSaver).prefix).toBe(fx.prefix);
    const config = { configurable: { thread_id: "run-auto", checkpoint_ns: "" } };
    const saved = await cp.saver.put(
      config,
      {
        v: 4,
        id: "1f000000-0000-6000-8000-000000000001",
        ts: new Date().toISOString(),
        channel_values: { x: 1 },
        channel_versions: { x: 1 },
        versions_seen: {},
      },
      { source: "input", step: -1, parents: {} },
      { x: 1 },
    );
    await cp.expireThread("run-auto", 300);
    const ttl = await fx.redis.ttl(`${fx.prefix}:{run-auto}:order`);
    expect(ttl).toBeGreaterThan(290);
    expect((await cp.saver.getTuple(saved))?.checkpoint.channel_values).toEqual({ x: 1 });
    await cp.close();
    await cp.close();
  });

  it("redis forces the plain saver without asking for modules", async () => {
    const cp = await createCheckpointer({ type: "redis", redis: fx.redis, url: fx.url, prefix: fx.prefix, ttlSeconds: 60 });
    expect(cp.kind).toBe("redis");
    expect(cp.saver).toBeInstanceOf(PlainRedisSaver);
  });

  it("redis-stack fails at start-up naming the missing modules and the way out", async () => {
    const attempt = createCheckpointer({ type: "redis-stack", redis: fx.redis, url: fx.url, prefix: fx.prefix });
    await expect(attempt).rejects.toBeInstanceOf(PyfleetError);
    const err = (await attempt.catch((e: unknown) => e)) as PyfleetError;
    expect(err.code).toBe("CONFIG_INVALID");
    expect(err.category).toBe("configuration");
    expect(err.message).toContain("RediSearch (search) and RedisJSON (ReJSON)");
    expect(err.message).toContain("checkpointer.type: redis");
    expect(err.message).toContain("Redis 8 / Redis Stack");
    expect(err.details).toEqual({ missingModules: ["RediSearch (search)", "RedisJSON (ReJSON)"] });
  });

  it("expires the official saver's key families of one thread only", async () => {
    const thread = `t${randomBytes(4).toString("hex")}`;
    const mine = [`checkpoint:${thread}:__empty__:c1`, `checkpoint_blob:${thread}:__empty__:x:1`];
    const mine2 = [`checkpoint_write:${thread}:__empty__:c1:task:0`, `write_keys_zset:${thread}:__empty__:c1`];
    const foreign = `checkpoint:${thread}x:__empty__:c1`;
    try {
      for (const key of [...mine, ...mine2, foreign]) await fx.redis.set(key, "1");
      expect(await expireOfficialThread(fx.redis, thread, 120)).toBe(4);
      for (const key of [...mine, ...mine2]) expect(await fx.redis.ttl(key), key).toBeGreaterThan(110);
      expect(await fx.redis.ttl(foreign)).toBe(-1);
    } finally {
      await fx.redis.unlink(...mine, ...mine2, foreign);
    }
  });
});
