import { codeHash, hashToken, RedisKeys, silentLogger, TokenAuth } from "@pyfleet/core";
import type { ApprovalStore, AuditLog } from "@pyfleet/fleet";
import { testApprovalStore } from "@pyfleet/runtime/testing";
import { routeCoverage } from "@pyfleet/service-kit";
import { createRedisFixture, type RedisFixture, TEST_WRITE_CODE as CODE, testApprovalRequest as request } from "@pyfleet/testing";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApprovalEvents } from "./approval-events.js";
import { createApproverServer } from "./server.js";

describe("approver /openapi.json and request validation (real Redis)", () => {
  let fx: RedisFixture;
  let app: FastifyInstance;
  let store: ApprovalStore;
  let audit: AuditLog;
  let events: ApprovalEvents;

  beforeAll(async () => {
    fx = await createRedisFixture("openapi-appr");
    ({ store, audit } = testApprovalStore(fx.redis, fx.prefix, undefined, { retentionSeconds: 3600 }));
    events = new ApprovalEvents(fx.connect(), new RedisKeys(fx.prefix));
    await events.start();
    app = createApproverServer({
      store,
      audit,
      events,
      auth: new TokenAuth([{ sha256: hashToken("alice-token"), identity: "alice", roles: ["approver", "admin"] }]),
      release: async () => {},
      getRun: async () => null,
      listRuns: async () => ({ runs: [], nextCursor: null }),
      reconcile: async () => ({ status: "completed" }),
      metrics: new Registry(),
      logger: silentLogger(),
      bodyLimit: 64 * 1024,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await events?.close();
    await fx?.cleanup();
  });

  const auth = { authorization: "Bearer alice-token" };

  it("documents every route with its success response, the decision body and approvals under their own names", async () => {
    const { routes, undocumented, withoutResponses } = routeCoverage(app);
    expect(undocumented).toEqual([]);
    expect(withoutResponses).toEqual([]);
    expect(routes.length).toBeGreaterThanOrEqual(11);
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/", "/v1/approvals", "/v1/approvals/{id}/decision", "/v1/runs/{id}/reconcile", "/v1/audit", "/v1/me"]));
    expect(doc.paths["/v1/approvals/{id}/decision"].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Decision" });
    expect(doc.components.schemas.Decision.required.sort()).toEqual(["codeHash", "decision", "reason"]);
    // strict response schemas: the approval's shape is documented field by field, no extra fields
    expect(doc.components.schemas.ApprovalDetail.additionalProperties).toBe(false);
    expect(doc.components.schemas.ApprovalDetail.required).toEqual(expect.arrayContaining(["code", "votes", "manifest", "decision"]));
    expect(doc.components.schemas.ApprovalSummary.additionalProperties).toBe(false);
  });

  it("an approval's list entry and detail pass their strict response schemas", async () => {
    const rec = await store.create(request("run-shape"), { checkpointNs: "" });
    const one = await app.inject({ method: "GET", url: `/v1/approvals/${rec.id}`, headers: auth });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json().approval).toMatchObject({ id: rec.id, code: CODE, votes: [], decision: null });
    const list = await app.inject({ method: "GET", url: "/v1/approvals?status=pending", headers: auth });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().approvals.map((a: { id: string }) => a.id)).toContain(rec.id);
  });

  it("validates queries and bodies with the schemas: 400 naming the field", async () => {
    const q = await app.inject({ method: "GET", url: "/v1/audit?scan=0", headers: auth });
    expect(q.statusCode).toBe(400);
    expect(q.json().error.issues.map((i: { path: string }) => i.path)).toEqual(["runId", "scan"]);
    const r = await app.inject({ method: "POST", url: "/v1/runs/r1/reconcile", headers: { ...auth, "content-type": "application/json" }, payload: { outcome: "succeeded", note: "" } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.issues.map((i: { path: string }) => i.path)).toEqual(["note"]);
  });

  it("refuses a decision whose reason is not valid UTF-8 (400 naming reason) and records no vote", async () => {
    const rec = await store.create(request("run-utf8"), { checkpointNs: "" });
    const head = Buffer.from(`{"decision":"approve","codeHash":"${codeHash(CODE)}","reason":"looks `);
    const payload = Buffer.concat([head, Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(' fine"}')]);
    const res = await app.inject({ method: "POST", url: `/v1/approvals/${rec.id}/decision`, headers: { ...auth, "content-type": "application/json" }, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "VALIDATION_FAILED", issues: [{ path: "reason" }] });
    const after = await store.get(rec.id);
    expect(after?.status).toBe("pending");
    expect(after?.votes).toEqual([]);
    expect((await audit.tail(50)).some((e) => e.type.startsWith("approval.decided") || JSON.stringify(e.data).includes("\ufffd"))).toBe(false);
  });
});
