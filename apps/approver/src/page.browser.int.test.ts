import { codeHash, RedisKeys, type SignedDecision, silentLogger } from "@pyfleet/core";
import { type ApprovalRecord, ApprovalStore, AuditLog, DecisionSigner, parseSigningKeys } from "@pyfleet/fleet";
import { createRedisFixture, launchBrowser, type RedisFixture } from "@pyfleet/testing";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ApprovalEvents } from "./approval-events.js";
import { hashToken, TokenAuthenticator } from "./auth.js";
import { createApproverServer } from "./server.js";

const CODE = "import epics\n# set the corrector\nepics.caput('SR:C01:HCM', 0.5)\nresults = {'set': True}\n";

describe("approver web page (real Chromium)", () => {
  let fx: RedisFixture;
  let app: FastifyInstance;
  let base: string;
  let store: ApprovalStore;
  let events: ApprovalEvents;
  const released: Array<{ rec: ApprovalRecord; d: SignedDecision }> = [];

  beforeEach(async () => {
    fx = await createRedisFixture("apprweb");
    const keys = new RedisKeys(fx.prefix);
    const audit = new AuditLog(fx.redis, keys);
    store = new ApprovalStore(fx.redis, keys, new DecisionSigner(parseSigningKeys("k1:0123456789abcdef0123"), "k1"), audit, {
      expirySeconds: 600,
      requiredApprovals: { read_only: 1, write_access: 1 },
      allowSelfApproval: false,
      retentionSeconds: 600,
    });
    events = new ApprovalEvents(fx.connect(), keys);
    await events.start();
    released.length = 0;
    app = createApproverServer({
      store,
      audit,
      events,
      auth: new TokenAuthenticator([{ sha256: hashToken("web-token-123"), identity: "alice", roles: ["approver"] }]),
      release: async (rec, d) => {
        released.push({ rec, d });
      },
      reconcile: async () => ({ status: "completed" }),
      metrics: new Registry(),
      logger: silentLogger(),
      bodyLimit: 100_000,
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterEach(async () => {
    await app.close();
    await events.close();
    await fx.cleanup();
  });

  it("signs in, shows a new approval live, highlights the write and approves it", async () => {
    const { browser, close } = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(base);
      await page.fill("#token", "wrong-token");
      await page.click("#signin-form button");
      await page.waitForSelector("#signin-err:has-text('token')");
      await page.fill("#token", "web-token-123");
      await page.click("#signin-form button");
      await page.waitForSelector("#empty:visible");
      // A run parks while the page is open: the list updates through the event stream.
      const rec = await store.create(
        {
          approval_type: "python_executor",
          runId: "run-web",
          threadId: "run-web",
          attempt: 1,
          codeHash: codeHash(CODE),
          code: CODE,
          executionMode: "write_access",
          kernelName: "python3-epics-write",
          task: "Set corrector SR:C01:HCM",
          userQuery: "set it",
          reasoning: "Code writes to SR:C01:HCM",
          findings: [],
          pvWrites: [{ pv: "SR:C01:HCM", line: 3, column: 1, api: "epics.caput", dynamic: false }],
          notebookPath: null,
          notebookLink: "http://jupyter.example/notebooks/run-web/attempt-1.ipynb",
          requester: "carol",
          expectedResults: {},
          user_message: "",
        },
        { checkpointNs: "" },
      );
      await page.click("#pending tbody tr:has-text('Set corrector SR:C01:HCM')", { timeout: 10_000 });
      await page.waitForSelector("#d-hash:has-text('" + rec.codeHash + "')");
      expect(await page.textContent("#d-pvs")).toContain("SR:C01:HCM");
      expect(await page.getAttribute("#d-nb a", "href")).toBe("http://jupyter.example/notebooks/run-web/attempt-1.ipynb");
      const flagged = await page.$$eval("#d-code .ln.flag", (els) => els.map((e) => e.textContent));
      expect(flagged).toEqual(["epics.caput('SR:C01:HCM', 0.5)"]);
      expect(await page.$$eval("#d-code .com", (els) => els.map((e) => e.textContent))).toEqual(["# set the corrector"]);
      await page.click("#approve");
      await page.waitForSelector("#d-msg:has-text('Give a reason')");
      await page.fill("#reason", "checked the corrector limits");
      await page.click("#approve");
      await page.waitForSelector("#d-msg:has-text('Approved')");
      await page.waitForSelector("#empty:visible");
      expect(released).toHaveLength(1);
      expect(released[0]?.d).toMatchObject({ decision: "approve", approvers: ["alice"], codeHash: rec.codeHash });
      expect((await store.get(rec.id))?.status).toBe("approved");
    } finally {
      await close();
    }
  });
});
