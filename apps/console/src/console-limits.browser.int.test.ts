/**
 * Issue 13 in the browser: a write run whose dry run proposes a value outside the PV's limits,
 * against the real simulated IOC, shown to an approver. `refuse_out_of_limits: false` lets such a
 * manifest reach a human (by default it goes back to generation); the page must flag the row.
 */
import { hashToken } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { waitForStatus } from "@pyfleet/runtime/testing";
import { IocFixture } from "@pyfleet/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { screenshot, signIn } from "./browser-session.test-helpers.js";
import { type ConsoleStack, startConsoleStack } from "./console-stack.test-helpers.js";
import type { RunningConsole } from "./start-console.js";
const TOKEN = "alice-limits-token-1";
const QF1 = "SR:MAG:QF1:CURRENT_SP";
const QD1 = "SR:MAG:QD1:CURRENT_SP";
// QF1's DRVH is 150 A (sim/storage-ring.yml): 200 is out of limits, QD1's 50 is within them
const CODE = `import epics\nepics.caput('${QF1}', 200)\nepics.caput('${QD1}', 50)\nresults = {'set': True}\n`;

describe("approval page: an out-of-limit row of a write manifest made against the simulated IOC (Chromium)", () => {
  let ioc: IocFixture;
  let stack: ConsoleStack;
  let front: Fleet;
  let web: RunningConsole;
  let browser: Browser;

  beforeAll(async () => {
    ioc = await IocFixture.start();
    stack = await startConsoleStack({
      tag: "consolelimits",
      env: ioc.env,
      configure: (config) => {
        config.control_system.refuse_out_of_limits = false;
        // the dry run reads the PVs from the local backend over loopback (as write-manifest-ioc.int.test.ts)
        config.execution.sandbox.enabled = false;
        config.control_system.write_connection_timeout_seconds = 2;
        config.approver.tokens = [{ sha256: hashToken(TOKEN), identity: "alice", roles: ["approver"] }];
      },
    });
    ({ front, web, browser } = stack);
    await stack.startWorkers();
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await ioc?.close();
  });

  it("highlights the out-of-limit row with current → proposed and its limits; the dry run put nothing", async () => {
    const { runId } = await front.submit({ user_query: "set it", task_objective: "QF1 beyond its limit", code: CODE }, { requester: "carol" });
    const parked = await waitForStatus((id) => front.get(id), runId, ["awaiting_approval", "failed"], 90_000);
    expect(parked.status, JSON.stringify(parked.error)).toBe("awaiting_approval");
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, web.url, TOKEN, "alice", "#/approvals");
    await page.click(`#pending-list li[data-approval-id="${parked.approvalId}"] a`);
    await page.waitForSelector("#approval-title:has-text('QF1 beyond its limit')");
    const rows = await page.$$eval("#manifest tbody tr", (trs) =>
      trs.map((tr) => ({ text: (tr.textContent ?? "").replace(/\s+/g, " "), outOfLimits: tr.classList.contains("out-of-limits") })),
    );
    expect(rows).toHaveLength(2);
    const qf1 = rows.find((r) => r.text.includes(QF1))!;
    const qd1 = rows.find((r) => r.text.includes(QD1))!;
    // the IOC's current value (read by the dry run) → the proposal, with the PV's DRVL … DRVH
    expect(qf1.text).toMatch(/\d+(\.\d+)? → 200 A/);
    expect(qf1.text).toMatch(/0 … 150/);
    expect(qf1.text).toContain("OUT OF LIMITS");
    expect(qf1.outOfLimits).toBe(true);
    expect(qd1.text).toMatch(/\d+(\.\d+)? → 50 A/);
    expect(qd1.text).toContain("within limits");
    expect(qd1.outOfLimits).toBe(false);
    // highlighted, not just labelled: the row's colours differ from a row within limits
    const bg = (pv: string) =>
      page.$eval(`#manifest tbody tr:has(code:text-is('${pv}'))`, (tr) => {
        // runs in the page (this package's types have no DOM lib)
        const style = (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(tr);
        return style.backgroundColor;
      });
    expect(await bg(QF1)).not.toBe(await bg(QD1));
    await screenshot(page, "approval-out-of-limits");
    await page.close();
    // safety from outside: the dry run only read the PVs
    expect(await ioc.putCount(QF1)).toBe(0);
    expect(await ioc.putCount(QD1)).toBe(0);
  }, 150_000);
});
