import { codeHash, parseSigningKeys, type PyfleetConfig, RedisKeys } from "@pyfleet/core";
import { AuditLog, DecisionSigner, type Fleet, RunStore } from "@pyfleet/fleet";
import { pino } from "pino";
import { startTestFleet, type TestFleet, testDecisionKeys, waitForStatus } from "@pyfleet/runtime/testing";
import type { FakeOpenAIServer, RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApproverSweeper } from "./approver-sweeper.js";
import type { RunningApprover } from "./start-approver.js";
import { startTestApprover } from "./test-approver.test-helpers.js";

const WRITE = (v: number) => `import epics\nepics.caput('SR:C01:HCM', ${v})\nresults = {'set': ${v}}\n`;

describe("approval flow through the fleet (real Redis, analyzer, local Python)", () => {
  let t: TestFleet;
  let fx: RedisFixture;
  let llm: FakeOpenAIServer;
  let fleet: Fleet;
  let approver: RunningApprover;
  let config: PyfleetConfig;
  let keys: RedisKeys;

  beforeAll(async () => {
    t = await startTestFleet({ tag: "flow", llm: true, stages: ["generate", "analyze", "execute"], modes: ["read_only", "write_access"], decides: true });
    ({ redis: fx, fleet, config } = t);
    llm = t.llm as FakeOpenAIServer;
    keys = new RedisKeys(fx.prefix);
    approver = await startTestApprover(config, t.runtime, t.env, { "alice-token-0001": { identity: "alice", roles: ["approver"] }, "bob-token-00001": { identity: "bob", roles: ["approver", "admin"] } });
  }, 60_000);
  afterAll(async () => {
    await approver?.close();
    await t?.cleanup();
  });

  // One retry: a rejection with feedback regenerates (provided code defaults to 0 retries).
  const submit = (code: string) =>
    fleet.submit({ user_query: "set the corrector", task_objective: "Set SR:C01:HCM", code, dry_run: true, retries: 1 }, { requester: "carol" });
  const parked = async (code: string) => {
    const { runId } = await submit(code);
    const rec = await waitForStatus((id) => fleet.get(id), runId, "awaiting_approval");
    expect(rec.approvalId).toBeTruthy();
    return { runId, approvalId: rec.approvalId as string };
  };
  const decide = async (approvalId: string, token: string, body: Record<string, unknown>) => {
    const r = await fetch(`${approver.url}/v1/approvals/${approvalId}/decision`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as any };
  };

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await fetch(`${approver.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, body: (await r.json()) as any };
  };

  it("approve: the write runs once on the write executor (dry-run recorder) and everything is audited", async () => {
    const { runId, approvalId } = await parked(WRITE(0.5));
    const res = await decide(approvalId, "alice-token-0001", { decision: "approve", codeHash: codeHash(WRITE(0.5)), reason: "limits checked" });
    expect(res.status).toBe(200);
    const done = await waitForStatus((id) => fleet.get(id), runId, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(done.mode).toBe("write_access");
    const details = await fleet.details(runId);
    expect(details?.final?.result?.recorded_writes).toMatchObject([{ pv: "SR:C01:HCM", value: 0.5 }]);
    expect(details?.final?.result?.results).toEqual({ set: 0.5 });
    const types = (await new AuditLog(fx.redis, keys).tail(50)).filter((e) => e.data.runId === runId).map((e) => e.type);
    expect(types).toEqual(["approval.requested", "approval.decision", "signature.checked", "write.started", "write.finished"]);
    expect(await new AuditLog(fx.redis, keys).verify()).toMatchObject({ ok: true });
  });

  it("reject ends the run rejected without running anything", async () => {
    const { runId, approvalId } = await parked(WRITE(1));
    expect((await decide(approvalId, "bob-token-00001", { decision: "reject", codeHash: codeHash(WRITE(1)), reason: "not now" })).status).toBe(200);
    const done = await waitForStatus((id) => fleet.get(id), runId, ["rejected", "failed", "completed"]);
    expect(done.status).toBe("rejected");
    expect(await fx.redis.get(keys.execMarker(runId, 1))).toBeNull();
  });

  it("reject with feedback regenerates the code, which parks again under a new hash", async () => {
    llm.enqueue({ reply: `Here is the fix:\n\`\`\`python\n${WRITE(0.25)}\`\`\`` });
    const { runId, approvalId } = await parked(WRITE(2));
    const r = await decide(approvalId, "bob-token-00001", {
      decision: "reject",
      codeHash: codeHash(WRITE(2)),
      reason: "too strong",
      feedback: "use 0.25 instead of 2",
      regenerate: true,
    });
    expect(r.status).toBe(200);
    const again = await waitForStatus(
      async (id) => {
        const rec = await fleet.get(id);
        return rec && rec.approvalId !== approvalId ? rec : null;
      },
      runId,
      "awaiting_approval",
    );
    const second = await approver.store.get(again.approvalId as string);
    expect(second?.attempt).toBe(2);
    expect(second?.codeHash).toBe(codeHash(WRITE(0.25)));
    expect(((llm.chatRequests.at(-1)?.body ?? { messages: [] }) as any).messages.map((m: { content: string }) => m.content).join("\n")).toContain("use 0.25 instead of 2");
    await fleet.cancel(runId);
  });

  it("a sweep delivers decisions that were never delivered; a run that ended meanwhile does not hold up the others", async () => {
    const a = await parked(WRITE(3));
    const b = await parked(WRITE(4));
    const alice = { id: "alice", roles: ["approver" as const] };
    // Decided, but the approver died before resuming either run.
    for (const [p, v] of [[a, 3], [b, 4]] as const) {
      const { released } = await approver.store.decide(p.approvalId, alice, { decision: "approve", codeHash: codeHash(WRITE(v)), reason: "ok" });
      expect(released).not.toBeNull();
    }
    await fleet.cancel(a.runId);
    await waitForStatus((id) => fleet.get(id), a.runId, "cancelled");
    const swept = await approver.sweeper.sweep();
    expect(swept.resumed.map((r) => r.id)).toEqual([b.approvalId]);
    await waitForStatus((id) => fleet.get(id), b.runId, "completed");
    expect((await approver.store.listUnresumed()).map((r) => r.id)).not.toContain(a.approvalId);
    expect((await approver.sweeper.sweep()).resumed).toEqual([]);
  });

  it("a sweep leaves a run another process is resuming to that process, without logging an error", async () => {
    const p = await parked(WRITE(5));
    const { released } = await approver.store.decide(p.approvalId, { id: "alice", roles: ["approver"] }, { decision: "approve", codeHash: codeHash(WRITE(5)), reason: "ok" });
    expect(released).not.toBeNull();
    // the decision endpoint of another replica holds the run's resume lease (it is applying the decision)
    const runs = new RunStore(fx.redis, keys, 600);
    const step = (await runs.getWithInternals(p.runId))?.internals.step as number;
    expect(await runs.claimResume(p.runId, step, "other-replica", 15_000)).toBe(true);

    const lines: Array<{ level: number; msg: string; runId?: string }> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const sweeper = new ApproverSweeper(approver.store, fleet, logger, { redis: fx.redis, prefix: keys.bullPrefix });
    expect((await sweeper.sweep()).resumed).toEqual([]);
    const mine = lines.filter((l) => l.runId === p.runId);
    expect(mine.filter((l) => l.level >= 50)).toEqual([]);
    expect(mine.map((l) => l.msg)).toContain("another process is resuming the run; checked again next round");
    expect((await fleet.get(p.runId))?.status).toBe("awaiting_approval");

    // the holder died without resuming: once its lease is gone the next sweep delivers the decision
    await fx.redis.del(keys.runResume(p.runId, step));
    expect((await sweeper.sweep()).resumed.map((r) => r.id)).toEqual([p.approvalId]);
    expect((await waitForStatus((id) => fleet.get(id), p.runId, ["completed", "failed"])).status).toBe("completed");
  });

  it("an expired approval ends its run approval_expired; cancelling a parked run cancels its approval", async () => {
    const a = await parked(WRITE(7));
    // Let time pass for this record only: move its expiry into the past, as the clock would.
    const raw = JSON.parse((await fx.redis.get(keys.approval(a.approvalId))) as string);
    raw.expiresAt = new Date(Date.now() - 1000).toISOString();
    await fx.redis.set(keys.approval(a.approvalId), JSON.stringify(raw));
    await fx.redis.zadd(keys.approvalsPending(), Date.now() - 1000, a.approvalId);
    const swept = await approver.sweeper.sweep();
    expect(swept.expired.map((r) => r.id)).toEqual([a.approvalId]);
    const ra = await waitForStatus((id) => fleet.get(id), a.runId, ["approval_expired"]);
    expect(ra.error?.code).toBe("APPROVAL_EXPIRED");
    const late = await decide(a.approvalId, "alice-token-0001", { decision: "approve", codeHash: codeHash(WRITE(7)), reason: "too late" });
    expect(late.status).toBe(410);

    const b = await parked(WRITE(8));
    await fleet.cancel(b.runId);
    expect((await fleet.get(b.runId))?.status).toBe("cancelled");
    expect((await approver.store.get(b.approvalId))?.status).toBe("cancelled");
    const after = await decide(b.approvalId, "alice-token-0001", { decision: "approve", codeHash: codeHash(WRITE(8)), reason: "x" });
    expect(after.status).toBe(409);
  });

  it("a write that finds its marker taken ends outcome_unknown, is listed over HTTP and reconciled by an admin", async () => {
    const { runId, approvalId } = await parked(WRITE(9));
    // An earlier executor took the marker and died before recording the outcome.
    const marker = { runId, attempt: 1, codeHash: codeHash(WRITE(9)), workerId: "dead-host:1", startedAt: new Date().toISOString(), outcome: "running" };
    await fx.redis.set(keys.execMarker(runId, 1), JSON.stringify(marker));
    expect((await decide(approvalId, "alice-token-0001", { decision: "approve", codeHash: codeHash(WRITE(9)), reason: "ok" })).status).toBe(200);
    const unknown = await waitForStatus((id) => fleet.get(id), runId, ["outcome_unknown", "completed", "failed"]);
    expect(unknown.status).toBe("outcome_unknown");
    expect((await fleet.details(runId))?.final?.result?.recorded_writes ?? []).toEqual([]);

    const listed = await call("GET", "/v1/runs?status=outcome_unknown", "alice-token-0001");
    expect(listed.status).toBe(200);
    expect(listed.body.runs.map((r: { runId: string; status: string }) => [r.runId, r.status])).toEqual([[runId, "outcome_unknown"]]);
    expect(listed.body.nextCursor).toBeNull();

    const note = "readback of SR:C01:HCM shows 9";
    const refused = await call("POST", `/v1/runs/${runId}/reconcile`, "alice-token-0001", { outcome: "succeeded", note });
    expect(refused.status).toBe(403);
    const settled = await call("POST", `/v1/runs/${runId}/reconcile`, "bob-token-00001", { outcome: "succeeded", note });
    expect(settled).toEqual({ status: 200, body: { runId, status: "completed" } });
    const after = await call("GET", `/v1/runs/${runId}`, "alice-token-0001");
    expect(after.body.run).toMatchObject({ status: "completed", reconciliation: { outcome: "succeeded", note, by: "bob" } });
    expect((await call("GET", "/v1/runs?status=outcome_unknown", "bob-token-00001")).body.runs).toEqual([]);
    const again = await call("POST", `/v1/runs/${runId}/reconcile`, "bob-token-00001", { outcome: "failed", note: "changed my mind" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("RUN_NOT_RECONCILABLE");

    const audit = new AuditLog(fx.redis, keys);
    const entries = (await audit.tail(200)).filter((e) => e.data.runId === runId);
    expect(entries.map((e) => e.type)).toEqual(["approval.requested", "approval.decision", "signature.checked", "write.duplicate_refused", "run.reconciled"]);
    expect(entries.at(-1)?.data).toMatchObject({ outcome: "succeeded", note, identity: "bob" });
    // The code never ran: the marker is the dead executor's, untouched.
    expect(JSON.parse((await fx.redis.get(keys.execMarker(runId, 1))) as string)).toEqual(marker);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it("forged or stale decisions sent straight into resume never run the code", async () => {
    const signer = new DecisionSigner(parseSigningKeys(t.keys.PYFLEET_SIGNING_KEYS), "k1");
    const forger = new DecisionSigner(parseSigningKeys(testDecisionKeys().PYFLEET_SIGNING_KEYS), "k1");
    // the parked run's write manifest is signed too: these decisions differ only where each case says
    const manifests = new Map<string, { pvs: string[]; hash: string }>();
    const parkedWithManifest = async (code: string) => {
      const p = await parked(code);
      const m = (await fleet.details(p.runId))?.approval?.manifest;
      if (m) manifests.set(p.runId, m);
      return p;
    };
    const decisionFor = (runId: string, approvalId: string, code: string, over: Record<string, unknown> = {}) => ({
      writePvs: manifests.get(runId)?.pvs ?? [],
      manifestHash: manifests.get(runId)?.hash ?? null,
      approvalId,
      runId,
      attempt: 1,
      codeHash: codeHash(code),
      mode: "write_access" as const,
      decision: "approve" as const,
      approvers: ["mallory"],
      reason: "trust me",
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      signedAt: new Date().toISOString(),
      ...over,
    });

    // wrong key: passes the shape check, refused by the executor's signature check
    const a = await parkedWithManifest(WRITE(3));
    await fleet.resumeRun(a.runId, forger.sign(decisionFor(a.runId, a.approvalId, WRITE(3))));
    const ra = await waitForStatus((id) => fleet.get(id), a.runId, ["failed", "completed"]);
    expect(ra.status).toBe("failed");
    expect(ra.error?.code).toBe("APPROVAL_SIGNATURE_INVALID");

    // expired, properly signed: refused by the executor
    const b = await parkedWithManifest(WRITE(4));
    await fleet.resumeRun(b.runId, signer.sign(decisionFor(b.runId, b.approvalId, WRITE(4), { expiresAt: new Date(Date.now() - 1000).toISOString() })));
    const rb = await waitForStatus((id) => fleet.get(id), b.runId, ["failed", "completed"]);
    expect(rb.error?.code).toBe("APPROVAL_EXPIRED");

    // another code hash, or no signature at all: refused before anything runs; the run stays parked
    const c = await parkedWithManifest(WRITE(5));
    await expect(fleet.resumeRun(c.runId, signer.sign(decisionFor(c.runId, c.approvalId, WRITE(6))))).rejects.toMatchObject({ category: expect.stringMatching(/approval|validation/) });
    const { signature: _s, ...unsigned } = signer.sign(decisionFor(c.runId, c.approvalId, WRITE(5)));
    await expect(fleet.resumeRun(c.runId, unsigned as never)).rejects.toMatchObject({ category: expect.stringMatching(/approval|validation/) });
    expect((await fleet.get(c.runId))?.status).toBe("awaiting_approval");

    for (const runId of [a.runId, b.runId, c.runId]) expect(await fx.redis.get(keys.execMarker(runId, 1))).toBeNull();
    const checks = (await new AuditLog(fx.redis, keys).tail(200)).filter((e) => e.type === "signature.checked" && [a.runId, b.runId].includes(e.data.runId as string));
    expect(checks.map((e) => e.data.ok)).toEqual([false, false]);
    await fleet.cancel(c.runId);
  });
});
