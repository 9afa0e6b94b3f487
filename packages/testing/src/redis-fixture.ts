import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** A Redis connection plus a key prefix no other test uses. */
export interface RedisFixture {
  url: string;
  /** Unique prefix, e.g. `t:ab12cd34`; build every key under it. */
  prefix: string;
  redis: Redis;
  /** Opens another connection (BullMQ workers need their own). */
  connect(): Redis;
  /** Deletes every key under the prefix and closes all connections opened here. Idempotent. */
  cleanup(): Promise<void>;
}

/** Redis URL of the test server: `REDIS_URL` or the machine's 127.0.0.1:6379. */
export function testRedisUrl(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/**
 * Connects to the test Redis (or the one at `url`, e.g. a private `RedisServerFixture`) and
 * reserves a unique prefix.
 * @throws Error naming the URL when no Redis answers (tests fail loudly, never skip silently).
 */
export async function createRedisFixture(label = "t", url = testRedisUrl()): Promise<RedisFixture> {
  const prefix = `${label}:${randomBytes(4).toString("hex")}`;
  const opened: Redis[] = [];
  const connect = () => {
    const r = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
    opened.push(r);
    return r;
  };
  const redis = connect();
  try {
    await redis.ping();
  } catch (err) {
    await Promise.allSettled(opened.map((r) => r.quit()));
    throw new Error(`no Redis answers at ${url} (set REDIS_URL): ${(err as Error).message}`);
  }
  let cleaned = false;
  return {
    url,
    prefix,
    redis,
    connect,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await deleteByPrefix(redis, prefix);
      await Promise.allSettled(opened.map((r) => r.quit()));
    },
  };
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK, safe on a shared server). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) n += await redis.unlink(...keys);
  } while (cursor !== "0");
  return n;
}
