/**
 * The sandbox's cost per run (docs/security.md, issue 14 target: ≤ 5 ms added per run on the fork
 * server): p50 / p95 of a trivial run on
 * - the local backend without bubblewrap (baseline of the local rows),
 * - the local backend inside bubblewrap, and with the CA gate attached (against the simulated IOC),
 * - the fork server without bubblewrap (baseline of the fork rows) and inside it.
 * Ratios and added milliseconds are against each row's own baseline, measured in the same run.
 *
 * Run: npx tsx bench/execution/sandbox-cost.ts [--runs N]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput, Executor } from "@pyfleet/core";
import { DEFAULT_EXECUTION_OPTIONS, ForkServerExecutor, LocalExecutor } from "@pyfleet/execution";
import { IocFixture } from "@pyfleet/testing";

const arg = process.argv.indexOf("--runs");
const RUNS = arg > 0 ? Number(process.argv[arg + 1]) : 30;
const { local, sandbox } = DEFAULT_EXECUTION_OPTIONS.execution;
const maxStdoutBytes = 1 << 20;

interface Row {
  name: string;
  baseline?: string;
  p50: number;
  p95: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(name: string, executor: Executor, root: string, code: string, baseline?: string): Promise<Row> {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const input: ExecuteInput = { runId: `b${i}`, attempt: 1, code, mode: "read_only", context: null, workDir: join(root, name.replace(/\W+/g, "-"), String(i)), timeoutMs: 60_000, dryRun: false };
    const t0 = performance.now();
    const out = await executor.execute(input);
    if (out.error) throw new Error(`${name}: ${out.error.evalue}`);
    if (i >= 2) times.push(performance.now() - t0); // two warm-up runs
  }
  await executor.close();
  times.sort((a, b) => a - b);
  return { name, ...(baseline ? { baseline } : {}), p50: pct(times, 50), p95: pct(times, 95) };
}

const root = await mkdtemp(join(tmpdir(), "pyfleet-bench-sandbox-"));
const ioc = await IocFixture.start();
try {
  const trivial = "results = {'x': 1}";
  const caRead = "import epics\nresults = {'i': epics.caget('SR:DCCT:CURRENT', timeout=5)}";
  const caUpstreams = (ioc.env.EPICS_CA_ADDR_LIST ?? "").split(/\s+/).filter(Boolean);
  const rows: Row[] = [];
  rows.push(await measure("local, no sandbox", new LocalExecutor({ local, maxStdoutBytes }), root, trivial));
  rows.push(await measure("local, bubblewrap", new LocalExecutor({ local, sandbox, maxStdoutBytes }), root, trivial, "local, no sandbox"));
  rows.push(await measure("local, bubblewrap + CA gate", new LocalExecutor({ local, sandbox, caUpstreams, maxStdoutBytes }), root, trivial, "local, no sandbox"));
  rows.push(await measure("local, no sandbox: caget", new LocalExecutor({ local, maxStdoutBytes, env: { ...process.env, ...ioc.env } }), root, caRead));
  rows.push(await measure("local, bubblewrap + gate: caget", new LocalExecutor({ local, sandbox, caUpstreams, maxStdoutBytes }), root, caRead, "local, no sandbox: caget"));
  const fork = (sandboxed: boolean) => new ForkServerExecutor({ mode: "read_only", local, forkServer: local.fork_server, ...(sandboxed ? { sandbox } : {}), maxStdoutBytes });
  rows.push(await measure("fork server, no sandbox", fork(false), root, trivial));
  rows.push(await measure("fork server, bubblewrap", fork(true), root, trivial, "fork server, no sandbox"));

  const byName = new Map(rows.map((r) => [r.name, r]));
  console.log(`\nsandbox cost per run (${RUNS} runs each, trivial snippet unless named)\n`);
  console.log(`${"backend".padEnd(36)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"p50 ratio".padStart(10)} ${"added p50 ms".padStart(13)}`);
  for (const r of rows) {
    const base = r.baseline ? byName.get(r.baseline) : undefined;
    const ratio = base ? (r.p50 / base.p50).toFixed(2) : "1.00";
    const added = base ? (r.p50 - base.p50).toFixed(1) : "baseline";
    console.log(`${r.name.padEnd(36)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${ratio.padStart(10)} ${added.padStart(13)}`);
  }
} finally {
  await ioc.close();
  await rm(root, { recursive: true, force: true });
}
