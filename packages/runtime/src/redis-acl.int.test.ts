import { randomBytes } from "node:crypto";
import { AuditLog, createFleet, type Fleet, REDIS_ROLES, redisAclFile, type RedisRole, redisUrlFor } from "@pyfleet/fleet";
import { RedisKeys, silentLogger } from "@pyfleet/core";
import { RedisServerFixture } from "@pyfleet/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveParked, testApprovalStore, testDecisionKeys } from "./testing/approvals.js";
import { testConfig, testEnv } from "./testing/test-config.js";
import { waitForStatus } from "./testing/wait-for.js";
import { realPipelineBuilder } from "./wire/real-pipeline.js";

const PREFIX = "aclfleet";

/**
 * A private Redis started with the per-role ACL file: every role runs its real part of a read-only
 * and an approved write run with its own credential, and the producer's credential is refused when
 * it writes an approval, the audit stream or an execution marker.
 */
describe("Redis ACL users per role", () => {
  let server: RedisServerFixture;
  const passwords = Object.fromEntries(REDIS_ROLES.map((r) => [r, randomBytes(12).toString("hex")])) as Record<RedisRole, string>;
  const keys = testDecisionKeys();
  const fleets: Fleet[] = [];
  const conns: Redis[] = [];
  let base: Record<string, string>;
  // One artifacts folder for every role's fleet (they are one fleet), each with its own credential.
  const envFor = (role: RedisRole) => ({ ...base, REDIS_URL: redisUrlFor(server.url, role, passwords[role]) });
  const fleetAs = async (role: RedisRole, stages: Array<"generate" | "analyze" | "execute">, modes: Array<"read_only" | "write_access"> = []) => {
    const env = envFor(role);
    const { fleet } = await createFleet(testConfig(env), { stages, modes, logger: silentLogger(), build: realPipelineBuilder(env) });
    fleets.push(fleet);
    return fleet;
  };
  const connectAs = (role: RedisRole) => {
    const r = new Redis(redisUrlFor(server.url, role, passwords[role]), { maxRetriesPerRequest: 1 });
    conns.push(r);
    return r;
  };

  beforeAll(async () => {
    server = await RedisServerFixture.start({ aof: false, acl: redisAclFile(PREFIX, passwords) });
    base = testEnv(PREFIX, { ...keys });
  });
  afterAll(async () => {
    for (const f of fleets.reverse()) await f.close();
    for (const c of conns) c.disconnect();
    await server?.close();
  });

  it("each role does its part of a read-only and an approved write run with its own credential", async () => {
    const producer = await fleetAs("producer", []);
    await fleetAs("worker", ["analyze", "execute"], ["read_only"]);
    await fleetAs("executor-write", ["execute"], ["write_access"]);
    const approverFleet = await fleetAs("approver", []);

    const ro = await producer.submit({ user_query: "q", task_objective: "read", code: "results = {'x': 1}" });
    const roEnd = await waitForStatus((id) => producer.get(id), ro.runId, ["completed", "failed"], 60_000);
    expect(roEnd.error).toBeNull();
    expect(roEnd.status).toBe("completed");

    const code = "import epics\nepics.caput('SR:C01:HCM', 1)\nresults = {'ok': True}\n";
    const w = await producer.submit({ user_query: "q", task_objective: "write", code, dry_run: true }, { requester: "carol" });
    const { store } = testApprovalStore(connectAs("approver"), PREFIX, keys.PYFLEET_SIGNING_KEYS);
    await approveParked(approverFleet, store, w.runId);
    const done = await waitForStatus((id) => producer.get(id), w.runId, ["completed", "failed", "outcome_unknown"], 60_000);
    expect(done.error).toBeNull();
    expect(done.status).toBe("completed");
    expect((await producer.details(w.runId))?.final?.result?.recorded_writes).toMatchObject([{ pv: "SR:C01:HCM", value: 1 }]);
    expect(await new AuditLog(connectAs("approver"), new RedisKeys(PREFIX)).verify()).toMatchObject({ ok: true });
  }, 120_000);

  it("a producer credential cannot write an approval, the audit stream or an execution marker; no role reaches keys outside the prefix", async () => {
    const p = connectAs("producer");
    const k = (s: string) => `${PREFIX}:${s}`;
    await expect(p.hset(k("approval:forged"), "status", "approved")).rejects.toThrow(/NOPERM/);
    await expect(p.set(k("approval:forged"), "{}")).rejects.toThrow(/NOPERM/);
    await expect(p.zadd(k("approvals:pending"), 1, "forged")).rejects.toThrow(/NOPERM/);
    await expect(p.xadd(k("audit"), "*", "e", "forged")).rejects.toThrow(/NOPERM/);
    await expect(p.set(k("audit:head"), "x")).rejects.toThrow(/NOPERM/);
    await expect(p.set(k("exec:run-1:1"), "x")).rejects.toThrow(/NOPERM/);
    await expect(new AuditLog(p, new RedisKeys(PREFIX)).append("approval.decision", { forged: true })).rejects.toThrow(/NOPERM/);
    // It still reads them (the API shows approvals) and writes its own keys.
    await expect(p.xlen(k("audit"))).resolves.toBeGreaterThan(0);
    await expect(p.set(k("run:probe"), "1")).resolves.toBe("OK");
    // A stage worker cannot take an execution marker either; only the write executor can.
    await expect(connectAs("worker").set(k("exec:run-1:1"), "x")).rejects.toThrow(/NOPERM/);
    await expect(connectAs("executor-write").set(k("exec:probe:1"), "x", "EX", 5)).resolves.toBe("OK");
    for (const role of REDIS_ROLES) {
      await expect(connectAs(role).set("elsewhere:key", "x")).rejects.toThrow(/NOPERM/);
      await expect(connectAs(role).flushall()).rejects.toThrow(/NOPERM/);
    }
    // No anonymous access: the default user is off.
    const anon = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    const seen: string[] = [];
    anon.on("error", (e: Error) => seen.push(e.message));
    await expect(anon.connect().then(() => anon.get(k("runs")))).rejects.toThrow();
    expect(seen.join(" ")).toMatch(/NOAUTH/);
    anon.disconnect();
  });
});
