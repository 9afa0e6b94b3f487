import { hashToken } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { waitForStatus } from "@pyfleet/runtime/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { screenshot, signIn } from "./browser-session.test-helpers.js";
import { type ConsoleStack, startConsoleStack } from "./console-stack.test-helpers.js";
import type { RunningConsole } from "./start-console.js";
const TOKENS = { alice: "alice-console-token-1", vera: "vera-viewer-token-1", backend: "backend-submit-token-1" };

const FIGURE_CODE = `import time
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
time.sleep(1.5)
print("beam current ok: 401.5 mA")
plt.plot([1, 2, 3], [3, 1, 2])
plt.title("console figure")
results = {"current_mA": 401.5, "ok": True, "bpm": {"x": [0.1, -0.2]}}
`;
const WRITE_CODE =
  "import epics\n# nudge the quadrupoles\nepics.caput('SR:MAG:QF1:CURRENT_SP', 101.5)\ncur = epics.caget('SR:DCCT:CURRENT')\nepics.caput('SR:MAG:QD1:CURRENT_SP', 200)\nresults = {'set': True}\n";

describe("web console (real Chromium, real fleet, producer + approver behind the console server)", () => {
  let stack: ConsoleStack;
  let env: Record<string, string>;
  let front: Fleet;
  let web: RunningConsole;
  let browser: Browser;

  beforeAll(async () => {
    // The producer and approver run on a fleet that serves no queue: runs wait in `queued`
    // until the test starts the workers.
    stack = await startConsoleStack({
      tag: "console",
      configure: (config) => {
        config.producer.host = "127.0.0.1";
        config.producer.tokens = [{ sha256: hashToken(TOKENS.backend), identity: "backend" }];
        config.approver.tokens = [
          { sha256: hashToken(TOKENS.alice), identity: "alice", roles: ["approver"] },
          { sha256: hashToken(TOKENS.vera), identity: "vera", roles: ["viewer"] },
        ];
      },
    });
    ({ front, web, browser } = stack);
    ({ env } = stack.t);
  }, 120_000);

  afterAll(() => stack?.close());

  const startWorkers = () => stack.startWorkers();

  it("shows a run going queued → analyzing → executing → completed live, then its code, stdout, figure and notebook", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, web.url, TOKENS.alice, "alice");
    await page.waitForSelector("text=(live)");
    const { runId } = await front.submit({ user_query: "beam current", task_objective: "Plot the beam current", code: FIGURE_CODE }, { requester: "carol" });
    const row = `#run-list li[data-run-id="${runId}"]`;
    await page.waitForSelector(`${row}[data-status="queued"]`, { timeout: 10_000 });
    // Record every status the row shows from now on, as the DOM changes.
    // (Strings of browser code: this file is type-checked without the DOM library.)
    await page.evaluate(`(() => {
      const sel = ${JSON.stringify(row)};
      window.seen = [document.querySelector(sel).dataset.status];
      new MutationObserver(() => {
        const s = document.querySelector(sel)?.dataset.status;
        if (s && window.seen[window.seen.length - 1] !== s) window.seen.push(s);
      }).observe(document.getElementById("run-list"), { attributes: true, subtree: true, childList: true });
    })()`);
    await startWorkers();
    await page.waitForSelector(`${row}[data-status="completed"]`, { timeout: 60_000 });
    expect(await page.textContent(`${row} .trail`)).toContain("queued → analyzing → executing → completed");
    const seen = (await page.evaluate("window.seen")) as string[];
    expect(seen[0]).toBe("queued");
    expect(seen).toContain("executing");
    expect(seen[seen.length - 1]).toBe("completed");
    await screenshot(page, "runs-list-live");

    await page.click(`${row} a`);
    await page.waitForSelector("#run-status:has-text('completed')");
    expect(await page.textContent("[aria-label='Code of attempt 1']")).toContain('print("beam current ok: 401.5 mA")');
    expect(await page.textContent("[data-testid=stdout]")).toContain("beam current ok: 401.5 mA");
    // The figure comes through the console's proxy with the token, as a real image.
    const fig = page.locator(".figures img.figure").first();
    await fig.waitFor({ timeout: 15_000 });
    await page.waitForFunction(`(() => { const img = document.querySelector(".figures img.figure"); return !!img && img.complete && img.naturalWidth > 100; })()`);
    // Results as a tree, the rendered notebook (its code cell and the figure output), the timeline.
    expect(await page.textContent("ul.tree")).toContain("current_mA: 401.5");
    await page.waitForSelector("[aria-label='Final notebook'] .nb-code");
    expect(await page.textContent("[aria-label='Final notebook']")).toContain("beam current ok: 401.5 mA");
    const timeline = await page.textContent("ol.timeline");
    expect(timeline).toMatch(/executing.*\d+(\.\d)? s/s);
    // Nothing on the page names a folder of the server's disk.
    const html = await page.content();
    expect(html).not.toContain(env.PYFLEET_ARTIFACTS as string);
    await screenshot(page, "run-page");
    await page.close();
  });

  it("shows the traceback of a failed run", async () => {
    await startWorkers();
    const { runId } = await front.submit({ user_query: "fail", task_objective: "A run that fails", code: "x = 1\nraise ValueError('boom-console-123')\n", retries: 0 });
    await waitForStatus((id) => front.get(id), runId, "failed");
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, web.url, TOKENS.alice, "alice", `#/runs/${runId}`);
    await page.waitForSelector("[data-testid=traceback]");
    expect(await page.textContent("[data-testid=traceback]")).toContain("ValueError: boom-console-123");
    expect(await page.textContent("#run-status")).toContain("failed");
    await screenshot(page, "run-failed");
    await page.close();
  });

  it("shows an approval with the write highlighted and the manifest; approving disables the buttons and the run completes", async () => {
    await startWorkers();
    const { runId } = await front.submit({ user_query: "set it", task_objective: "Nudge QF1", code: WRITE_CODE, dry_run: true }, { requester: "carol" });
    const parked = await waitForStatus((id) => front.get(id), runId, "awaiting_approval");
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, web.url, TOKENS.alice, "alice", "#/approvals");
    await page.click(`#pending-list li[data-approval-id="${parked.approvalId}"] a`);
    await page.waitForSelector("#approval-title:has-text('Nudge QF1')");
    const writes = await page.$$eval("[aria-label='Code to approve'] li.write code", (els) => els.map((e) => e.textContent));
    expect(writes).toEqual(["epics.caput('SR:MAG:QF1:CURRENT_SP', 101.5)", "epics.caput('SR:MAG:QD1:CURRENT_SP', 200)"]);
    // The manifest of the dry run made before parking: one row per PV, current → proposed. No IOC
    // runs in this test, so the current values show as unreachable and no limits are known.
    const rows = await page.$$eval("#manifest tbody tr", (trs) => trs.map((tr) => tr.textContent ?? ""));
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.includes("SR:MAG:QF1:CURRENT_SP"))).toMatch(/\(unreachable\) → 101\.5/);
    expect(rows.find((r) => r.includes("SR:MAG:QD1:CURRENT_SP"))).toMatch(/\(unreachable\) → 200/);
    await page.waitForSelector(".manifest .badge.dry-run:has-text('DRY RUN')");
    expect(await page.textContent("#approval-requester")).toBe("carol");
    expect(await page.textContent("#approval-expires")).toMatch(/[A-Z]{2,5}|GMT|UTC/);
    expect(await page.isEnabled("#approve")).toBe(true);
    await screenshot(page, "approval-pending");
    await page.fill("#reason", "limits checked, dry run");
    await page.click("#approve");
    await page.waitForSelector("#decision-msg:has-text('Approved')");
    expect(await page.isDisabled("#approve")).toBe(true);
    expect(await page.isDisabled("#reject")).toBe(true);
    await page.waitForSelector("#approval-run-status:has-text('completed')", { timeout: 30_000 });
    await page.waitForSelector(`#decided-list li[data-approval-id="${parked.approvalId}"]`);
    await screenshot(page, "approval-decided");
    // The run page styles reads apart from writes.
    await page.goto(`${web.url}/#/runs/${runId}`);
    await page.waitForSelector("#run-status:has-text('completed')");
    expect(await page.$$eval("[aria-label='Code of attempt 1'] li.read code", (els) => els.map((e) => e.textContent))).toEqual([
      "cur = epics.caget('SR:DCCT:CURRENT')",
    ]);
    expect(await page.$$eval("[aria-label='Code of attempt 1'] li.write", (els) => els.length)).toBe(2);
    await page.close();
  });

  it("lets a viewer token see an approval but not decide it", async () => {
    await startWorkers();
    const { runId } = await front.submit({ user_query: "set it", task_objective: "Viewer looks at QF1", code: WRITE_CODE.replace("101.5", "102"), dry_run: true }, { requester: "carol" });
    const parked = await waitForStatus((id) => front.get(id), runId, "awaiting_approval");
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, web.url, TOKENS.vera, "vera", `#/approvals/${parked.approvalId}`);
    await page.waitForSelector("#approval-title:has-text('Viewer looks at QF1')");
    await page.waitForSelector("#no-role");
    expect(await page.isDisabled("#approve")).toBe(true);
    expect(await page.isDisabled("#reject")).toBe(true);
    // The API refuses the viewer too, whatever a page does.
    const r = await fetch(`${web.url}/api/approver/v1/approvals/${parked.approvalId}/decision`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.vera}`, "content-type": "application/json" },
      body: JSON.stringify({ decision: "approve", codeHash: "0".repeat(64), reason: "sneaky" }),
    });
    expect(r.status).toBe(403);
    expect((await front.get(runId))?.status).toBe("awaiting_approval");
    await screenshot(page, "approval-viewer");
    await front.cancel(runId);
    await page.close();
  });

  it("shows the detail pane beside the list at 800 px", async () => {
    const { runs } = await front.list({ limit: 1 });
    const runId = runs[0]?.runId as string;
    const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
    await signIn(page, web.url, TOKENS.alice, "alice", `#/runs/${runId}`);
    await page.waitForSelector("#run-title");
    const list = await page.locator(".list-pane").boundingBox();
    const detail = await page.locator(".detail-pane").boundingBox();
    expect(list && detail).toBeTruthy();
    expect(detail!.width).toBeGreaterThan(400);
    expect(detail!.x).toBeGreaterThan(list!.x + list!.width - 1);
    expect(detail!.x + detail!.width).toBeLessThanOrEqual(800);
    // No horizontal scrolling at this width.
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(800);
    await screenshot(page, "run-page-800px");
    await page.close();
  });
});
