import { createHmac } from "node:crypto";
import { type ApprovalRequest, type Clock, codeHash, generateDecisionKeyPair, parseSigningKeys, parseVerifyKeys, RedisKeys } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture, testApprovalRequest } from "@pyfleet/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../audit/audit-log.js";
import { ApprovalStore } from "./approval-store.js";
import { DecisionSigner } from "./decision-signer.js";
import { DecisionVerifier } from "./decision-verifier.js";
import { SignedApprovalVerifier } from "./signed-approval-verifier.js";
import { RedisExecutionGuard } from "./redis-execution-guard.js";

const CODE = "import epics\nepics.caput('X:Y', 1)\nresults = {'ok': True}\n";

const request = (): ApprovalRequest => testApprovalRequest("run-1", { code: CODE, userQuery: "set X:Y to 1", reasoning: "writes to X:Y", user_message: "HUMAN APPROVAL REQUIRED" });

class TestClock implements Clock {
  t = Date.parse("2026-01-01T00:00:00Z");
  now() {
    return new Date(this.t);
  }
}

describe("approvals", () => {
  let fx: RedisFixture;
  let keys: RedisKeys;
  let audit: AuditLog;
  let clock: TestClock;
  const pair = generateDecisionKeyPair("k1");
  const signer = new DecisionSigner(parseSigningKeys(pair.signing), "k1");
  const verifier = new DecisionVerifier(parseVerifyKeys(pair.verify));
  const store = (required = 1, allowSelf = false) =>
    new ApprovalStore(
      fx.redis,
      keys,
      signer,
      audit,
      { expirySeconds: 600, requiredApprovals: { read_only: 1, write_access: required }, allowSelfApproval: allowSelf, retentionSeconds: 3600 },
      clock,
    );
  const alice = { id: "alice", roles: ["approver"] as const };
  const bob = { id: "bob", roles: ["approver"] as const };
  const hash = codeHash(CODE);

  beforeEach(async () => {
    fx = await createRedisFixture("appr");
    keys = new RedisKeys(fx.prefix);
    audit = new AuditLog(fx.redis, keys);
    clock = new TestClock();
  });
  afterEach(() => fx.cleanup());

  it("two-person rule: one approval stays pending, the same approver twice counts once, a second releases", async () => {
    const s = store(2);
    const rec = await s.create(request(), { checkpointNs: "" });
    expect((await s.list({ status: "pending" })).map((r) => r.id)).toEqual([rec.id]);
    const r1 = await s.decide(rec.id, alice, { decision: "approve", codeHash: hash, reason: "ok" });
    expect(r1.released).toBeNull();
    expect(r1.record.status).toBe("pending");
    const r2 = await s.decide(rec.id, alice, { decision: "approve", codeHash: hash, reason: "ok again" });
    expect(r2.released).toBeNull();
    expect(r2.record.votes).toHaveLength(1);
    const r3 = await s.decide(rec.id, bob, { decision: "approve", codeHash: hash, reason: "fine" });
    expect(r3.record.status).toBe("approved");
    expect(r3.released?.approvers.sort()).toEqual(["alice", "bob"]);
    expect(verifier.isValid(r3.released!)).toBe(true);
    expect(await s.list({ status: "pending" })).toEqual([]);
    await expect(s.decide(rec.id, bob, { decision: "approve", codeHash: hash, reason: "x" })).rejects.toMatchObject({ code: "APPROVAL_ALREADY_DECIDED" });
  });

  it("refuses self-approval, a stale code hash and expired approvals", async () => {
    const s = store();
    const rec = await s.create(request(), { checkpointNs: "" });
    await expect(s.decide(rec.id, { id: "carol", roles: ["approver"] }, { decision: "approve", codeHash: hash, reason: "mine" })).rejects.toMatchObject({ code: "APPROVAL_FORBIDDEN" });
    await expect(s.decide(rec.id, alice, { decision: "approve", codeHash: "0".repeat(64), reason: "x" })).rejects.toMatchObject({ code: "APPROVAL_HASH_MISMATCH" });
    await expect(s.decide("nope", alice, { decision: "approve", codeHash: hash, reason: "x" })).rejects.toMatchObject({ code: "APPROVAL_NOT_FOUND" });
    clock.t += 601_000;
    await expect(s.decide(rec.id, alice, { decision: "approve", codeHash: hash, reason: "late" })).rejects.toMatchObject({ code: "APPROVAL_EXPIRED" });
    const expired = await s.expireDue();
    expect(expired.map((r) => r.id)).toEqual([rec.id]);
    expect((await s.get(rec.id))?.status).toBe("expired");
    expect(await s.expireDue()).toEqual([]);
  });

  it("a rejection decides at once and carries feedback", async () => {
    const s = store(2);
    const rec = await s.create(request(), { checkpointNs: "" });
    const r = await s.decide(rec.id, alice, { decision: "reject", codeHash: hash, reason: "wrong PV", feedback: "use X:Z", regenerate: true });
    expect(r.record.status).toBe("rejected");
    expect(r.released).toMatchObject({ decision: "reject", feedback: "use X:Z", regenerate: true });
    expect((await s.listUnresumed()).map((x) => x.id)).toEqual([rec.id]);
    await s.markResumed(rec.id);
    expect(await s.listUnresumed()).toEqual([]);
  });

  it("concurrent votes from two connections are all counted", async () => {
    const s1 = store(3);
    const s2 = new ApprovalStore(fx.connect(), keys, signer, audit, { expirySeconds: 600, requiredApprovals: { read_only: 1, write_access: 3 }, allowSelfApproval: false, retentionSeconds: 3600 }, clock);
    const rec = await s1.create(request(), { checkpointNs: "" });
    const results = await Promise.all([
      s1.decide(rec.id, alice, { decision: "approve", codeHash: hash, reason: "a" }),
      s2.decide(rec.id, bob, { decision: "approve", codeHash: hash, reason: "b" }),
      s1.decide(rec.id, { id: "dave", roles: ["approver"] }, { decision: "approve", codeHash: hash, reason: "d" }),
    ]);
    expect(results.filter((r) => r.released).length).toBe(1);
    expect((await s1.get(rec.id))?.status).toBe("approved");
  });

  it("the executor's verifier refuses forged, foreign, stale and expired decisions", async () => {
    const s = store();
    const v = new SignedApprovalVerifier(verifier, audit, clock);
    const rec = await s.create(request(), { checkpointNs: "" });
    const { released } = await s.decide(rec.id, alice, { decision: "approve", codeHash: hash, reason: "ok" });
    const expected = { runId: "run-1", attempt: 1, codeHash: hash, mode: "write_access" as const };
    await expect(v.verify(released, expected)).resolves.toMatchObject({ approvalId: rec.id });
    await expect(v.verify(null, expected)).rejects.toMatchObject({ code: "APPROVAL_MISSING", category: "approval" });
    await expect(v.verify({ ...released, signature: undefined }, expected)).rejects.toMatchObject({ code: "APPROVAL_SIGNATURE_INVALID" });
    const forged = new DecisionSigner(parseSigningKeys(generateDecisionKeyPair("k1").signing), "k1").sign({ ...released!, codeHash: hash });
    await expect(v.verify(forged, expected)).rejects.toMatchObject({ code: "APPROVAL_SIGNATURE_INVALID" });
    await expect(v.verify({ ...released, keyId: "k0" }, expected)).rejects.toThrow(/key "k0", which is not among this executor's verify keys/);
    // A decision of the HMAC scheme before Ed25519 is refused and says so.
    const hmac = createHmac("sha256", "0123456789abcdef0123").update("payload").digest("hex");
    await expect(v.verify({ ...released, signature: hmac }, expected)).rejects.toThrow(/HMAC-signed .*accept only Ed25519-signed decisions/);
    await expect(v.verify(released, { ...expected, codeHash: codeHash("print(1)") })).rejects.toMatchObject({ code: "APPROVAL_HASH_MISMATCH" });
    await expect(v.verify(released, { ...expected, attempt: 2 })).rejects.toMatchObject({ code: "APPROVAL_HASH_MISMATCH" });
    clock.t += 700_000;
    await expect(v.verify(released, expected)).rejects.toMatchObject({ code: "APPROVAL_EXPIRED" });
    const checks = (await audit.tail(50)).filter((e) => e.type === "signature.checked");
    expect(checks.map((e) => e.data.ok)).toEqual([true, false, false, false, false, false, false, false, false]);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it("the execution guard lets exactly one delivery run a write", async () => {
    const g1 = new RedisExecutionGuard(fx.redis, keys, audit, "w1");
    const g2 = new RedisExecutionGuard(fx.connect(), keys, audit, "w2");
    const input = { runId: "run-1", attempt: 1, codeHash: hash };
    const results = await Promise.all([g1.begin(input), g2.begin(input), g1.begin(input)]);
    expect(results.filter((r) => r === "acquired")).toHaveLength(1);
    await g1.end({ runId: "run-1", attempt: 1, outcome: "succeeded" });
    expect(await g1.read("run-1", 1)).toMatchObject({ outcome: "succeeded", codeHash: hash });
    expect(await g2.begin(input)).toBe("already_started");
    expect(await fx.redis.ttl(keys.execMarker("run-1", 1))).toBeGreaterThan(0);
  });
});
