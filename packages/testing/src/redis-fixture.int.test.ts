import { afterEach, describe, expect, it } from "vitest";
import { createRedisFixture, type RedisFixture } from "./redis-fixture.js";

describe("createRedisFixture", () => {
  const fixtures: RedisFixture[] = [];
  afterEach(async () => {
    await Promise.all(fixtures.map((f) => f.cleanup()));
  });

  it("gives each test its own prefix and removes only its own keys", async () => {
    const a = await createRedisFixture();
    const b = await createRedisFixture();
    fixtures.push(a, b);
    expect(a.prefix).not.toBe(b.prefix);
    await a.redis.set(`${a.prefix}:k`, "a");
    await b.redis.set(`${b.prefix}:k`, "b");
    await a.cleanup();
    expect(await b.redis.get(`${a.prefix}:k`)).toBeNull();
    expect(await b.redis.get(`${b.prefix}:k`)).toBe("b");
    await a.cleanup(); // idempotent
  });
});
