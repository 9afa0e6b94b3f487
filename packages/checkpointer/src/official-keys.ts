import { PyfleetError } from "@pyfleet/core";
import type { RedisClient } from "./redis-client.js";

/**
 * Key families the official `RedisSaver` (@langchain/langgraph-checkpoint-redis 1.0.x) writes
 * per thread. It has fixed names without a prefix and no per-thread retention of its own.
 */
export const OFFICIAL_KEY_FAMILIES = ["checkpoint", "checkpoint_blob", "checkpoint_write", "write_keys_zset"] as const;

/**
 * Applies a retention TTL to every key the official saver holds for one thread, found with
 * SCAN (never KEYS, which blocks the server). Returns the number of keys that got the TTL.
 */
export async function expireOfficialThread(redis: RedisClient, threadId: string, ttlSeconds: number): Promise<number> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new PyfleetError("CONFIG_INVALID", `retention ttlSeconds must be a positive whole number, got ${ttlSeconds}`);
  }
  const thread = threadId.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
  let expired = 0;
  for (const family of OFFICIAL_KEY_FAMILIES) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${family}:${thread}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length === 0) continue;
      const tx = redis.multi();
      for (const key of keys) tx.expire(key, ttlSeconds);
      const results = (await tx.exec()) ?? [];
      expired += results.filter(([err, n]) => err === null && n === 1).length;
    } while (cursor !== "0");
  }
  return expired;
}
