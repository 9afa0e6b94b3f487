/** Run helpers shared by the chaos scenarios: an HTTP auto-approver, logged run code, retrying submit. */
import { readFileSync } from "node:fs";
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
 * Read-only code logs "<index> <pid>" when it starts (executions counted outside the fleet).
 * Write code only caputs (dry run): it also runs once as the manifest's preview on a read-only
 * executor, so its executions are counted from the write executor's recorded writes instead.
 */
export const runCode = (i: number, log: string, write: boolean) =>
  (write
    ? ["import epics", `epics.caput("CHAOS:W${i}", ${i})`]
    : ["import os", `with open(${JSON.stringify(log)}, "a") as f:`, `    f.write("${i} " + str(os.getppid()) + "\\n")`]
  )
    .concat([`results = {"i": ${i}}`])
    .join("\n");

/** Recorded (dry-run) writes of each write run's execution: 1 = executed once. */
export async function writeExecutions(client: { get(id: string): Promise<{ final?: { result?: { recorded_writes?: unknown[] } | null } | null }> }, ids: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const id of ids) out.push((await client.get(id)).final?.result?.recorded_writes?.length ?? 0);
  return out;
}

export function executions(log: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const i = Number(line.split(" ")[0]);
    if (line && !Number.isNaN(i)) m.set(i, (m.get(i) ?? 0) + 1);
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

