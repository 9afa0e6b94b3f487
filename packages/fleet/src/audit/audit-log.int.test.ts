import { RedisKeys } from "@pyfleet/core";
import { redisTest } from "@pyfleet/testing/vitest";
import { describe, expect } from "vitest";
import { AuditLog } from "./audit-log.js";

describe("AuditLog", () => {
  redisTest("chains entries and verifies an untouched log", async ({ redis: fx }) => {
    const keys = new RedisKeys(fx.prefix);
    const log = new AuditLog(fx.redis, keys);
    const a = await log.append("approval.requested", { approvalId: "a1" });
    const b = await log.append("approval.decision", { approvalId: "a1", decision: "approve" });
    expect(a.prev).toBe("");
    expect(b.prev).toBe(a.hash);
    expect(await log.verify()).toEqual({ ok: true, entries: 2 });
    const tail = await log.tail(5);
    expect(tail.map((e) => e.type)).toEqual(["approval.requested", "approval.decision"]);
  });

  redisTest("keeps one chain under concurrent appends from two connections", async ({ redis: fx }) => {
    const keys = new RedisKeys(fx.prefix);
    const l1 = new AuditLog(fx.redis, keys);
    const l2 = new AuditLog(fx.connect(), keys);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? l1 : l2).append("write.started", { i })),
    );
    const v = await l1.verify();
    expect(v).toEqual({ ok: true, entries: 40 });
  });

  redisTest("reports the first tampered entry", async ({ redis: fx }) => {
    const keys = new RedisKeys(fx.prefix);
    const log = new AuditLog(fx.redis, keys);
    await log.append("approval.requested", { approvalId: "a1" });
    const b = await log.append("approval.decision", { approvalId: "a1", decision: "reject" });
    await log.append("approval.released", { approvalId: "a1" });
    // Tamper: rebuild the stream with entry b's data changed but its stored hashes kept.
    const rows = await fx.redis.xrange(keys.audit(), "-", "+");
    await fx.redis.del(keys.audit());
    for (const [id, f] of rows) {
      const fields = [...f];
      if (id === b.id) fields[fields.indexOf("data") + 1] = JSON.stringify({ approvalId: "a1", decision: "approve" });
      await fx.redis.xadd(keys.audit(), "*", ...fields);
    }
    const v = await log.verify();
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(/modified/);
  });

  redisTest("reports a removed entry", async ({ redis: fx }) => {
    const keys = new RedisKeys(fx.prefix);
    const log = new AuditLog(fx.redis, keys);
    await log.append("approval.requested", { n: 1 });
    const b = await log.append("approval.requested", { n: 2 });
    await log.append("approval.requested", { n: 3 });
    await fx.redis.xdel(keys.audit(), b.id);
    const v = await log.verify();
    expect(v).toMatchObject({ ok: false, reason: expect.stringMatching(/removed or reordered/) });
  });
});
