/** Run helpers shared by the chaos scenarios: an HTTP auto-approver, run code counted in its run folder, retrying submit. */
import { readdirSync } from "node:fs";
import { basename, sep } from "node:path";
import { ALICE } from "./fleet-env.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Approves every pending approval over HTTP until stopped; errors (503 during an outage) are retried. */
export function autoApprove(approverUrl: () => string): { stop(): Promise<void>; decided: () => number } {
  let running = true;
  let decided = 0;
  const auth = { authorization: `Bearer ${ALICE.token}` };
  const loop = (async () => {
    while (running) {
      try {
        const r = await fetch(`${approverUrl()}/v1/approvals?status=pending&limit=50`, { headers: auth, signal: AbortSignal.timeout(5000) });
        if (r.ok) {
          for (const a of ((await r.json()) as { approvals: Array<{ id: string; codeHash: string }> }).approvals) {
            const d = await fetch(`${approverUrl()}/v1/approvals/${a.id}/decision`, {
              method: "POST",
              headers: { ...auth, "content-type": "application/json" },
              body: JSON.stringify({ decision: "approve", codeHash: a.codeHash, reason: "chaos auto-approver" }),
              signal: AbortSignal.timeout(5000),
            });
            if (d.ok) decided++;
          }
        }
      } catch {
        // outage or restart: try again
      }
      await sleep(200);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
    decided: () => decided,
  };
}

/**
 * Run code that leaves a file of its own (a fresh name, so a second execution in the same attempt
 * folder cannot overwrite the first) in its working folder: the sandbox hides host paths, and the
 * file comes back to the run's attempt folder under the artifacts root when the run ends. Write
 * code then caputs (dry run: recorded, not performed); its manifest's dry run on a read-only
 * executor leaves its file in the attempt's `dry-run` folder, which {@link executions} skips.
 */
export const runCode = (i: number, write: boolean) =>
  [
    "import uuid",
    `open("executed-" + uuid.uuid4().hex + ".${i}", "w").close()`,
    ...(write ? ["import epics", `epics.caput("CHAOS:W${i}", ${i})`] : []),
    `results = {"i": ${i}}`,
  ].join("\n");

/** Executions per run index, counted from the files {@link runCode} left below the artifacts root `root`. */
export function executions(root: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const f of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    const hit = /^executed-[0-9a-f]{32}\.(\d+)$/.exec(basename(f));
    if (!hit || f.split(sep).includes("dry-run")) continue;
    const i = Number(hit[1]);
    m.set(i, (m.get(i) ?? 0) + 1);
  }
  return m;
}

/** POSTs a run, retrying 503s and connection errors (nothing was stored) until accepted. */
export async function submitRetrying(url: string, body: Record<string, unknown>, stats: { retries503: number; other: string[] }): Promise<string> {
  for (;;) {
    try {
      const r = await fetch(`${url}/v1/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
      if (r.status === 202) return ((await r.json()) as { runId: string }).runId;
      if (r.status === 503) stats.retries503++;
      else stats.other.push(`${r.status} ${(await r.text()).slice(0, 200)}`);
    } catch (err) {
      stats.other.push(`no answer: ${(err as Error).message}`);
    }
    await sleep(500);
  }
}

