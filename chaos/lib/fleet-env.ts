/** The environment, client and processes of one chaos scenario's fleet. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PyfleetClient } from "@pyfleet/client";
import { isTerminalStatus, type RunRecord } from "@pyfleet/core";
import { type SpawnedWorker, spawnWorker, testDecisionKeys, testEnv } from "@pyfleet/runtime/testing";
import { deepMerge } from "../../bench/chaos/deep-merge.js";
import { approverToken, chaosConfig } from "./apps.js";

export const ALICE = approverToken("alice", ["viewer", "approver"]);

/**
 * Test env on `prefix` with a chaos config (`patch` merged in, deepMerge): short stall detection
 * (a SIGKILLed worker's job comes back within seconds), alice as approver, fresh decision keys.
 */
export function chaosEnv(prefix: string, extra: Record<string, string> = {}, patch: Record<string, unknown> = {}): Record<string, string> {
  const defaults = {
    queues: { lock_seconds: 6, stalled_check_seconds: 3, drain_seconds: 10 },
    analysis: { rules: { "file-write-outside": "allow" } },
    approver: { tokens: [ALICE.entry] },
    // the suite's clients call the producer without a token (a loopback test fleet)
    producer: { allow_anonymous: true },
    // No IOC: a write run's dry run (preview) waits 1 s for its unreachable PVs, not 5.
    control_system: { write_connection_timeout_seconds: 1 },
  };
  const config = chaosConfig(deepMerge(defaults, patch));
  return testEnv(prefix, { ...testDecisionKeys(), PYFLEET_LOG_LEVEL: "error", PYFLEET_CONFIG: config, ...extra });
}

/** The env an executor gets: the public key only (it must not be able to sign). */
export function executorEnv(env: Record<string, string>): Record<string, string> {
  const { PYFLEET_SIGNING_KEYS: _private, ...rest } = env;
  return rest;
}

/** Worker processes started for a scenario, all killed by {@link WorkerSet.killAll}. */
export class WorkerSet {
  readonly all = new Set<SpawnedWorker>();
  constructor(private readonly env: Record<string, string>) {}
  async spawn(args: string[]): Promise<SpawnedWorker> {
    const w = await spawnWorker(args, executorEnv(this.env), 120_000);
    this.all.add(w);
    void w.exited.then(() => this.all.delete(w));
    return w;
  }
  async killAll(): Promise<void> {
    await Promise.allSettled([...this.all].map((w) => w.stop("SIGKILL")));
  }
}

/** A process of the scenario whose output is worth printing when runs do not end. */
export interface LoggedProcess {
  pid: number;
  kind?: string;
  output(): string;
}

/** What to print when a wait ends with runs still open. */
export interface WaitDiagnostics {
  /** What was awaited, for the heading. */
  what: string;
  procs?: Iterable<LoggedProcess>;
}

/**
 * Prints (stderr) why a wait ended with runs open: each open run's last seen status, stage and
 * error, and the tail of every process's output. A failed scenario then says where it stood.
 */
function explainOpen(diag: WaitDiagnostics, open: readonly string[], seen: Map<string, RunRecord>, timeoutMs: number): void {
  const lines = [`== chaos: ${open.length} ${diag.what} not terminal after ${Math.round(timeoutMs / 1000)} s`];
  for (const id of open.slice(0, 20)) {
    const r = seen.get(id);
    lines.push(r ? `  ${id} ${r.status} stage=${r.stage ?? "-"} updated=${r.updatedAt} approval=${r.approvalId ?? "-"}${r.error ? ` error=${r.error.code}: ${r.error.message.slice(0, 200)}` : ""}` : `  ${id} never read`);
  }
  if (open.length > 20) lines.push(`  … and ${open.length - 20} more`);
  for (const p of diag.procs ?? []) {
    const tail = p.output().split("\n").filter(Boolean).slice(-15);
    lines.push(`-- ${p.kind ?? "worker"} pid ${p.pid}, last ${tail.length} lines of output:`, ...tail.map((l) => `   ${l.slice(0, 400)}`));
  }
  process.stderr.write(`${lines.join("\n")}\n`);
}

/**
 * Polls `GET /v1/runs/:id` until every id is terminal or `timeoutMs` passes; returns what it saw.
 * With `diag`, a wait that ends with runs open prints where they stood (see {@link explainOpen}).
 */
export async function waitTerminal(client: PyfleetClient, ids: readonly string[], timeoutMs: number, diag?: WaitDiagnostics): Promise<Map<string, RunRecord>> {
  const seen = new Map<string, RunRecord>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = ids.filter((id) => !seen.has(id) || !isTerminalStatus((seen.get(id) as RunRecord).status));
    if (open.length === 0) break;
    for (const id of open) {
      try {
        seen.set(id, (await client.get(id)) as RunRecord);
      } catch {
        // producer restarting or Redis away: poll again
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const open = ids.filter((id) => !isTerminalStatus(seen.get(id)?.status ?? "queued"));
  if (diag && open.length > 0) explainOpen(diag, open, seen, timeoutMs);
  return seen;
}

/** Counts runs by status. */
export function byStatus(recs: Iterable<Pick<RunRecord, "status">>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of recs) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

export const fmt = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([s, n]) => `${s} ${n}`)
    .join(", ") || "none";

/** Runs a bench/chaos script with `args`; resolves with its exit code and output. */
export function runBench(script: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  const file = fileURLToPath(new URL(`../../bench/chaos/${script}`, import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", file, ...args], { stdio: ["ignore", "pipe", "pipe"], env: process.env });
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

/** The value of a `label  value` summary row the bench scripts print. */
export function summaryRow(out: string, label: string): string {
  const line = out.split("\n").find((l) => l.startsWith(label));
  return line ? line.slice(label.length).trim() : "(missing)";
}

export const clientFor = (url: string) => new PyfleetClient({ baseUrl: url });
