/**
 * Issue 13 in the browser: a write run whose dry run proposes a value outside the PV's limits,
 * against the real simulated IOC, shown to an approver. `refuse_out_of_limits: false` lets such a
 * manifest reach a human (by default it goes back to generation); the page must flag the row.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startApprover } from "@pyfleet/approver";
import { hashToken, type PyfleetConfig, silentLogger } from "@pyfleet/core";
import { createFleet, type Fleet } from "@pyfleet/fleet";
import { openFleet, realPipelineBuilder } from "@pyfleet/runtime";
import { testConfig, testDecisionKeys, testEnv, waitForStatus } from "@pyfleet/runtime/testing";
import { type RunningProducer, startProducer } from "@pyfleet/producer";
import { createRedisFixture, IocFixture, launchBrowser, type RedisFixture } from "@pyfleet/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { screenshot, signIn } from "./browser-session.test-helpers.js";
import { type RunningConsole, startConsole } from "./start-console.js";

const PKG = fileURLToPath(new URL("..", import.meta.url));
const TOKEN = "alice-limits-token-1";
const QF1 = "SR:MAG:QF1:CURRENT_SP";
const QD1 = "SR:MAG:QD1:CURRENT_SP";
// QF1's DRVH is 150 A (sim/storage-ring.yml): 200 is out of limits, QD1's 50 is within them
const CODE = `import epics\nepics.caput('${QF1}', 200)\nepics.caput('${QD1}', 50)\nresults = {'set': True}\n`;

describe("approval page: an out-of-limit row of a write manifest made against the simulated IOC (Chromium)", () => {
  let ioc: IocFixture;
  let fx: RedisFixture;
  let config: PyfleetConfig;
  let front: Fleet;
  let workers: Fleet;
  let producer: RunningProducer;
  let approver: Awaited<ReturnType<typeof startApprover>>;
  let web: RunningConsole;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;

  beforeAll(async () => {
    const build = spawnSync("npm", ["run", "-s", "build"], { cwd: PKG, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`console build failed:\n${build.stdout}\n${build.stderr}`);
    ioc = await IocFixture.start();
    fx = await createRedisFixture("consolelimits");
    const env = testEnv(fx.prefix, { ...testDecisionKeys(), ...ioc.env });
    config = structuredClone(testConfig(env));
    config.control_system.refuse_out_of_limits = false;
    // the dry run reads the PVs from the local backend over loopback (as write-manifest-ioc.int.test.ts)
    config.execution.sandbox.enabled = false;
    config.control_system.write_connection_timeout_seconds = 2;
    config.approver.tokens = [{ sha256: hashToken(TOKEN), identity: "alice", roles: ["approver"] }];
    const runtime = await openFleet(config, { logger: silentLogger(), env, decides: true });
    ({ fleet: front } = runtime);
    ({ fleet: workers } = await createFleet(config, { stages: ["analyze", "execute"], modes: ["read_only", "write_access"], logger: silentLogger(), build: realPipelineBuilder(env) }));
    producer = await startProducer({ config, logger: silentLogger(), env, fleet: front, port: 0 });
    approver = await startApprover({ config, runtime, env, logger: silentLogger(), host: "127.0.0.1", port: 0 });
    web = await startConsole({ producerUrl: producer.url, approverUrl: approver.url, port: 0, logger: silentLogger() });
    ({ browser, close: closeBrowser } = await launchBrowser());
  }, 180_000);

  afterAll(async () => {
    await closeBrowser?.();
    await web?.close();
    await approver?.close();
    await producer?.close();
    await workers?.close();
    await front?.close();
    await fx?.cleanup();
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
