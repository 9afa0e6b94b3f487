import { type ApprovalRequest, codeHash, PyfleetError, RedisKeys, type SignedDecision, silentLogger } from "@pyfleet/core";
import type { ApprovalRecord, ApprovalStore, AuditLog } from "@pyfleet/fleet";
import { testApprovalStore } from "@pyfleet/runtime/testing";
import { createRedisFixture, type RedisFixture, TEST_WRITE_CODE as CODE, testApprovalRequest } from "@pyfleet/testing";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApprovalEvents } from "./approval-events.js";
import { hashToken, TokenAuth } from "@pyfleet/core";
import { createApproverServer } from "./server.js";

const HASH = codeHash(CODE);

const req = (runId: string, requester = "carol"): ApprovalRequest =>
  testApprovalRequest(runId, {
    findings: [{ rule: "epics-write", level: "info", line: 2, column: 1, snippet: "epics.caput('X:Y', 1)", message: "writes X:Y" }],
    requester,
  });

describe("approver HTTP API", () => {
  let fx: RedisFixture;
  let app: FastifyInstance;
  let base: string;
  let store: ApprovalStore;
  let audit: AuditLog;
  let events: ApprovalEvents;
  const released: Array<{ rec: ApprovalRecord; d: SignedDecision }> = [];
  const reconciled: string[] = [];
  const tokens = { viewer: "viewer-token-123", alice: "alice-token-123", bob: "bob-token-123", admin: "admin-token-123", carol: "carol-token-123" };

  beforeEach(async () => {
    fx = await createRedisFixture("apprhttp");
    ({ store, audit } = testApprovalStore(fx.redis, fx.prefix, undefined, { writeApprovals: 2, retentionSeconds: 3600 }));
    events = new ApprovalEvents(fx.connect(), new RedisKeys(fx.prefix));
    await events.start();
    released.length = 0;
    reconciled.length = 0;
    app = createApproverServer({
      store,
      audit,
      events,
      auth: new TokenAuth([
        { sha256: hashToken(tokens.viewer), identity: "vera", roles: ["viewer"] },
        { sha256: hashToken(tokens.alice), identity: "alice", roles: ["approver"] },
        { sha256: hashToken(tokens.bob), identity: "bob", roles: ["approver"] },
        { sha256: hashToken(tokens.carol), identity: "carol", roles: ["approver"] },
        { sha256: hashToken(tokens.admin), identity: "root", roles: ["admin"] },
      ]),
      release: async (rec, d) => {
        released.push({ rec, d });
      },
      getRun: async (runId) =>
        runId === "run-b"
          ? {
              runId,
              threadId: runId,
              checkpointNs: "",
              status: "awaiting_approval",
              stage: "approve",
              mode: "write_access",
              attempts: 1,
              requester: "carol",
              task: "t",
              createdAt: "2026-01-01T00:00:00.000Z",
              updatedAt: "2026-01-01T00:00:00.000Z",
              finishedAt: null,
              approvalId: null,
              resultSummary: null,
              error: null,
            }
          : null,
      listRuns: async () => ({ runs: [], nextCursor: null }),
      reconcile: async (runId) => {
        if (runId === "unknown-run") throw new PyfleetError("NOT_FOUND", "run unknown-run does not exist");
        reconciled.push(runId);
        return { status: "completed" };
      },
      metrics: new Registry(),
      logger: silentLogger(),
      bodyLimit: 4096,
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterEach(async () => {
    await app.close();
    await events.close();
    await fx.cleanup();
  });

  const call = async (method: string, path: string, token?: string, body?: unknown, raw?: string) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || raw !== undefined) headers["content-type"] = "application/json";
    const r = await fetch(base + path, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    return { status: r.status, body: (await r.json().catch(() => null)) as any };
  };

  it("answers every error with its status and a sentence", async () => {
    const rec = await store.create(req("run-a"), { checkpointNs: "" });
    const good = { decision: "approve", codeHash: HASH, reason: "checked" };
    const p = `/v1/approvals/${rec.id}/decision`;
    expect((await call("GET", "/v1/approvals")).status).toBe(401);
    expect((await call("GET", "/v1/approvals", "wrong-token")).status).toBe(401);
    const noRole = await call("POST", p, tokens.viewer, good);
    expect(noRole.status).toBe(403);
    expect(noRole.body.error.message).toMatch(/lacks the approver role/);
    const self = await call("POST", p, tokens.carol, good);
    expect(self.status).toBe(403);
    expect(self.body.error.message).toMatch(/may not approve/);
    const stale = await call("POST", p, tokens.alice, { ...good, codeHash: "f".repeat(64) });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe("APPROVAL_HASH_MISMATCH");
    const bad = await call("POST", p, tokens.alice, { decision: "maybe", codeHash: "x", reason: "" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["codeHash", "decision", "reason"]);
    expect((await call("POST", p, tokens.alice, undefined, "{not json")).status).toBe(400);
    expect((await call("POST", p, tokens.alice, { ...good, extra: 1 })).status).toBe(400);
    expect((await call("POST", p, tokens.alice, { ...good, reason: "x".repeat(5000) })).status).toBe(413);
    expect((await call("GET", "/v1/approvals/nope", tokens.viewer)).status).toBe(404);
    expect((await call("GET", "/v1/approvals?status=bogus", tokens.viewer)).status).toBe(400);
    // two-person rule over HTTP, then 409 for an already decided approval
    const first = await call("POST", p, tokens.alice, good);
    expect(first.body).toMatchObject({ released: false });
    expect(released).toHaveLength(0);
    const second = await call("POST", p, tokens.bob, good);
    expect(second.body).toMatchObject({ released: true, approval: { status: "approved" } });
    expect(released).toHaveLength(1);
    expect(released[0]?.d.approvers.sort()).toEqual(["alice", "bob"]);
    expect((await store.get(rec.id))?.resumedAt).not.toBeNull();
    const again = await call("POST", p, tokens.alice, good);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("APPROVAL_ALREADY_DECIDED");
  });

  it("returns 410 for an expired approval", async () => {
    const { store: s } = testApprovalStore(fx.redis, fx.prefix, undefined, { expirySeconds: 0, retentionSeconds: 60 });
    const rec = await s.create(req("run-exp"), { checkpointNs: "" });
    const r = await call("POST", `/v1/approvals/${rec.id}/decision`, tokens.alice, { decision: "approve", codeHash: HASH, reason: "late" });
    expect(r.status).toBe(410);
  });

  it("lists, shows and streams approvals; reconcile needs admin", async () => {
    const sse = await fetch(`${base}/v1/approvals/events`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
    expect(sse.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = sse.body!.getReader();
    const rec = await store.create(req("run-b"), { checkpointNs: "" });
    let text = "";
    while (!text.includes("event: pending")) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(rec.id);
    await reader.cancel();
    const list = await call("GET", "/v1/approvals?status=pending", tokens.viewer);
    expect(list.body.approvals.map((a: { id: string }) => a.id)).toEqual([rec.id]);
    const one = await call("GET", `/v1/approvals/${rec.id}`, tokens.viewer);
    expect(one.body.approval.code).toBe(CODE);
    expect(one.body.approval.pvWrites[0].pv).toBe("X:Y");
    expect((await call("GET", "/v1/runs/run-b")).status).toBe(401);
    expect((await call("GET", "/v1/runs/run-b", tokens.viewer)).body.run.status).toBe("awaiting_approval");
    expect((await call("GET", "/v1/runs/run-zzz", tokens.viewer)).status).toBe(404);
    expect((await call("GET", "/v1/me", tokens.admin)).body).toEqual({ identity: "root", roles: ["admin"] });
    expect((await call("GET", "/v1/runs?status=outcome_unknown")).status).toBe(401);
    expect((await call("GET", "/v1/runs?status=bogus", tokens.viewer)).status).toBe(400);
    expect((await call("GET", "/v1/runs?limit=0", tokens.viewer)).status).toBe(400);
    expect((await call("POST", "/v1/runs/run-b/reconcile", tokens.alice, { outcome: "succeeded", note: "checked" })).status).toBe(403);
    expect((await call("POST", "/v1/runs/run-b/reconcile", tokens.admin, { outcome: "maybe" })).status).toBe(400);
    expect((await call("POST", "/v1/runs/unknown-run/reconcile", tokens.admin, { outcome: "failed", note: "n" })).status).toBe(404);
    const ok = await call("POST", "/v1/runs/run-b/reconcile", tokens.admin, { outcome: "succeeded", note: "PV readback matches" });
    expect(ok.body).toEqual({ runId: "run-b", status: "completed" });
    expect((await audit.tail(1))[0]).toMatchObject({ type: "run.reconciled", data: { identity: "root" } });
    const spec = await call("GET", "/openapi.json");
    expect(Object.keys(spec.body.paths)).toContain("/v1/approvals/{id}/decision");
    const page = await fetch(`${base}/`);
    expect(await page.text()).toContain("pyfleet approver");
  });
});
