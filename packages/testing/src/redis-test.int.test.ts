import { describe, expect } from "vitest";
import { redisTest } from "./redis-test.js";

describe("redisTest", () => {
  let earlier: { prefix: string; connection: { status: string } } | undefined;

  redisTest("gives the test a prefix labelled after its file, and a live connection", async ({ redis }) => {
    expect(redis.prefix).toMatch(/^redis-test:[0-9a-f]{8}$/);
    await redis.redis.set(`${redis.prefix}:k`, "v");
    const other = redis.connect();
    expect(await other.get(`${redis.prefix}:k`)).toBe("v");
    earlier = { prefix: redis.prefix, connection: other };
  });

  redisTest("after a test, its keys are gone and its connections closed; the next test has its own prefix", async ({ redis }) => {
    if (!earlier) throw new Error("the first test did not run");
    expect(redis.prefix).not.toBe(earlier.prefix);
    expect(await redis.redis.keys(`${earlier.prefix}*`)).toEqual([]);
    expect(earlier.connection.status).toBe("end");
  });
});
