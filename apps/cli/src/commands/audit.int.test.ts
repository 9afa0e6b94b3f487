import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisKeys } from "@pyfleet/core";
import { AuditLog } from "@pyfleet/fleet";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../main.js";

describe("pyfleet audit", () => {
  let fx: RedisFixture;
  let file: string;
  beforeEach(async () => {
    fx = await createRedisFixture("cliaudit");
    file = join(mkdtempSync(join(tmpdir(), "pyfleet-audit-")), "config.yml");
    writeFileSync(file, `framework:\n  redis:\n    url: ${fx.url}\n    prefix: "${fx.prefix}"\n`);
  });
  afterEach(() => fx.cleanup());

  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, cwd: process.cwd() });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  it("verifies an intact chain, tails it, and reports a tampered entry", async () => {
    const log = new AuditLog(fx.redis, new RedisKeys(fx.prefix));
    await log.append("approval.requested", { approvalId: "a1" });
    const b = await log.append("approval.decision", { approvalId: "a1", decision: "reject" });
    const ok = await run("audit", "verify", "--config", file);
    expect(ok).toMatchObject({ code: 0, out: "audit chain intact: 2 entries" });
    const tail = await run("audit", "tail", "-n", "1", "--config", file);
    expect(tail.out).toContain("approval.decision");
    expect(tail.out).not.toContain("approval.requested");
    await fx.redis.xdel(new RedisKeys(fx.prefix).audit(), b.id);
    const bad = await run("audit", "verify", "--config", file);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("BROKEN");
    expect((await run("audit", "frobnicate", "--config", file)).code).toBe(2);
  });
});
