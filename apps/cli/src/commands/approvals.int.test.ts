import { ApprovalEvents, createApproverServer } from "@pyfleet/approver";
import { hashToken, RedisKeys, silentLogger, TokenAuth } from "@pyfleet/core";
import type { ApprovalStore } from "@pyfleet/fleet";
import { testApprovalStore } from "@pyfleet/runtime/testing";
import { createRedisFixture, type RedisFixture, testApprovalRequest } from "@pyfleet/testing";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../main.js";

describe("pyfleet approvals / approval / approve / reject", () => {
  let fx: RedisFixture;
  let app: FastifyInstance;
  let store: ApprovalStore;
  let events: ApprovalEvents;
  let env: NodeJS.ProcessEnv;
  const released: string[] = [];

  beforeEach(async () => {
    fx = await createRedisFixture("cliappr");
    const approvals = testApprovalStore(fx.redis, fx.prefix);
    ({ store } = approvals);
    const { audit } = approvals;
    events = new ApprovalEvents(fx.connect(), new RedisKeys(fx.prefix));
    released.length = 0;
    app = createApproverServer({
      store,
      audit,
      events,
      auth: new TokenAuth([{ sha256: hashToken("tok-alice-123"), identity: "alice", roles: ["approver"] }]),
      release: async (rec, d) => {
        released.push(`${rec.id}:${d.decision}:${d.feedback ?? ""}`);
      },
      getRun: async () => null,
      reconcile: async () => ({ status: "completed" }),
      metrics: new Registry(),
      logger: silentLogger(),
      bodyLimit: 100_000,
    });
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    env = { PYFLEET_APPROVER_URL: url, PYFLEET_TOKEN: "tok-alice-123" };
  });
  afterEach(async () => {
    await app.close();
    await events.close();
    await fx.cleanup();
  });

  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd: process.cwd() });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };

  const create = (runId: string) =>
    store.create(
      testApprovalRequest(runId, {
        task: `task of ${runId}`,
        userQuery: "q",
        findings: [{ rule: "epics-write", level: "info", line: 2, column: 1, snippet: "", message: "writes X:Y" }],
        user_message: "",
      }),
      { checkpointNs: "" },
    );

  it("lists, shows, approves and rejects with feedback", async () => {
    const a = await create("run-1");
    const b = await create("run-2");
    const list = await run("approvals");
    expect(list.code).toBe(0);
    expect(list.out).toContain(a.id);
    expect(list.out).toContain("X:Y");
    const show = await run("approval", a.id);
    expect(show.out).toContain("   2 | epics.caput('X:Y', 1)");
    expect(show.out).toContain("^ info epics-write: writes X:Y");
    expect((await run("approve", a.id)).code).toBe(2);
    const ok = await run("approve", a.id, "--reason", "reviewed");
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("approved; the run continues");
    const stale = await run("approve", b.id, "--reason", "x", "--code-hash", "0".repeat(64));
    expect(stale.code).toBe(1);
    expect(stale.err).toContain("409 APPROVAL_HASH_MISMATCH");
    expect((await run("reject", b.id, "--reason", "no", "--regenerate")).code).toBe(2);
    const rej = await run("reject", b.id, "--reason", "wrong PV", "--feedback", "use X:Z", "--regenerate");
    expect(rej.code).toBe(0);
    expect(released).toEqual([`${a.id}:approve:`, `${b.id}:reject:use X:Z`]);
    expect((await run("approvals")).out).toContain("no pending approvals");
  });

  it("fails clearly without a token", async () => {
    env = { PYFLEET_APPROVER_URL: env.PYFLEET_APPROVER_URL };
    const r = await run("approvals");
    expect(r.code).toBe(2);
    expect(r.err).toContain("no token");
  });
});
