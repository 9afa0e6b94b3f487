import { basename } from "node:path";
import { test } from "vitest";
import { createRedisFixture, type RedisFixture } from "./redis-fixture.js";

/**
 * A vitest `test` whose `redis` fixture gives each test its own key prefix on the test Redis
 * (labelled after the test file, e.g. `audit-log:1a2b3c4d`) and, whatever the test's outcome,
 * deletes every key under it and closes every connection it opened:
 *
 * ```ts
 * redisTest("chains entries", async ({ redis }) => {
 *   const log = new AuditLog(redis.redis, new RedisKeys(redis.prefix));
 * });
 * ```
 *
 * No Redis answering fails the test naming the URL (never a silent skip).
 */
export const redisTest = test.extend<{ redis: RedisFixture }>({
  redis: async ({ task }, use) => {
    const fixture = await createRedisFixture(fileLabel(task.file.name));
    try {
      await use(fixture);
    } finally {
      await fixture.cleanup();
    }
  },
});

/** `packages/fleet/src/audit/audit-log.int.test.ts` → `audit-log`: short, and valid inside a config key prefix. */
function fileLabel(path: string): string {
  const name = basename(path).replace(/(\.[a-z]+)*\.test\.[cm]?[jt]s$/, "");
  return name.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 24) || "t";
}
