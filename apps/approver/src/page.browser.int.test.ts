import { codeHash, RedisKeys } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { startTestFleet, type TestFleet, waitForStatus } from "@pyfleet/runtime/testing";
import { launchBrowser, type RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningApprover } from "./start-approver.js";
import { startTestApprover } from "./test-approver.test-helpers.js";

const CODE = "import epics\n# set the corrector\nepics.caput('SR:C01:HCM', 0.5)\nresults = {'set': True}\n";

describe("approver web page (real Chromium, real fleet)", () => {
  let t: TestFleet;
  let fx: RedisFixture;
  let fleet: Fleet;
  let approver: RunningApprover;

  beforeAll(async () => {
    t = await startTestFleet({ tag: "apprweb", stages: ["analyze", "execute"], modes: ["read_only", "write_access"], decides: true });
    ({ fleet, redis: fx } = t);
    approver = await startTestApprover(t.config, t.runtime, t.env, { "web-token-123": { identity: "alice", roles: ["approver"] }, "admin-token-123": { identity: "root", roles: ["admin"] } });
  }, 60_000);
  afterAll(async () => {
    await approver?.close();
    await t?.cleanup();
  });

  it("signs in, sees a parked run appear live, reviews the highlighted write, approves it and sees the run complete", async () => {
    const { browser, close } = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(approver.url);
      await page.fill("#token", "wrong-token");
      await page.click("#signin-form button");
      await page.waitForSelector("#signin-err:has-text('token')");
      await page.fill("#token", "web-token-123");
      await page.click("#signin-form button");
      await page.waitForSelector("#empty:visible");
      // A run parks while the page is open: the list updates through the event stream.
      const { runId } = await fleet.submit(
        { user_query: "set it", task_objective: "Set corrector SR:C01:HCM", code: CODE, dry_run: true },
        { requester: "carol" },
      );
      await page.click("#pending tbody tr:has-text('Set corrector SR:C01:HCM')", { timeout: 20_000 });
      await page.waitForSelector(`#d-hash:has-text('${codeHash(CODE)}')`);
      await page.waitForSelector("#d-runstatus:has-text('awaiting_approval')");
      expect(await page.textContent("#d-pvs")).toContain("SR:C01:HCM");
      // the write manifest from the dry run (no IOC in this test: the PV shows as unreachable)
      const rows = await page.$$eval("#d-manifest tbody tr", (els) => els.map((e) => e.textContent));
      expect(rows).toEqual(["SR:C01:HCM(unreachable)→0.5none"]);
      const flagged = await page.$$eval("#d-code .ln.flag", (els) => els.map((e) => e.textContent));
      expect(flagged).toEqual(["epics.caput('SR:C01:HCM', 0.5)"]);
      expect(await page.$$eval("#d-code .com", (els) => els.map((e) => e.textContent))).toEqual(["# set the corrector"]);
      await page.click("#approve");
      await page.waitForSelector("#d-msg:has-text('Give a reason')");
      await page.fill("#reason", "checked the corrector limits");
      await page.click("#approve");
      await page.waitForSelector("#d-msg:has-text('Approved')");
      await page.waitForSelector("#d-runstatus:has-text('completed')", { timeout: 30_000 });
      await page.waitForSelector("#empty:visible");
      const run = await waitForStatus((id) => fleet.get(id), runId, "completed");
      expect(run.mode).toBe("write_access");
      expect((await fleet.details(runId))?.final?.result?.recorded_writes).toMatchObject([{ pv: "SR:C01:HCM", value: 0.5 }]);
    } finally {
      await close();
    }
  });

  it("lists outcome_unknown runs to admins only and records a reconciliation from the page", async () => {
    const code = CODE.replace("0.5", "0.7");
    const { runId } = await fleet.submit({ user_query: "set it", task_objective: "Set corrector again", code, dry_run: true }, { requester: "carol" });
    const parked = await waitForStatus((id) => fleet.get(id), runId, "awaiting_approval");
    // An earlier executor took the write marker and died: the approved run must not write again.
    const marker = { runId, attempt: 1, codeHash: codeHash(code), workerId: "dead-host:1", startedAt: new Date().toISOString(), outcome: "running" };
    await fx.redis.set(new RedisKeys(fx.prefix).execMarker(runId, 1), JSON.stringify(marker));
    const r = await fetch(`${approver.url}/v1/approvals/${parked.approvalId}/decision`, {
      method: "POST",
      headers: { authorization: "Bearer web-token-123", "content-type": "application/json" },
      body: JSON.stringify({ decision: "approve", codeHash: codeHash(code), reason: "ok" }),
    });
    expect(r.status).toBe(200);
    await waitForStatus((id) => fleet.get(id), runId, "outcome_unknown");

    const { browser, close } = await launchBrowser();
    try {
      const approverTab = await browser.newPage();
      await approverTab.goto(approver.url);
      await approverTab.fill("#token", "web-token-123");
      await approverTab.click("#signin-form button");
      await approverTab.waitForSelector("#who:has-text('alice')");
      expect(await approverTab.isHidden("#reconcile-pane")).toBe(true);

      const page = await browser.newPage();
      await page.goto(approver.url);
      await page.fill("#token", "admin-token-123");
      await page.click("#signin-form button");
      const row = `#unknown tr[data-id="${runId}"]`;
      await page.waitForSelector(`${row}:has-text('Set corrector again')`);
      await page.click(`${row} button`);
      expect((await fleet.get(runId))?.status).toBe("outcome_unknown");
      await page.selectOption(`${row} select`, "failed");
      await page.fill(`${row} input[name=note]`, "readback still shows the old value");
      await page.click(`${row} button`);
      await page.waitForSelector("#rc-msg:has-text('is now failed')");
      await page.waitForSelector("#rc-empty:visible");
      expect(await fleet.get(runId)).toMatchObject({ status: "failed", reconciliation: { outcome: "failed", by: "root" } });
    } finally {
      await close();
    }
  });
});
