/**
 * Execution bench: runs per second and p50 / p95 / p99 latency of one execution, for a trivial
 * snippet, a numpy snippet and a one-figure PNG snippet, on
 * - the warm kernel pool (container backend, restart after each run: the default),
 * - the warm kernel pool with `reset: reset` (clean in place, no new process),
 * - a fresh kernel per run (what the original system did: start, run, and here also shut down),
 * - a local interpreter spawned per run (inside bubblewrap, the default sandbox),
 * - the fork server (a warm parent forks a fresh child per run), inside bubblewrap (default) and
 *   without it (the sandbox's cost per run),
 * - a docker one-shot container (when an engine answers and the sandbox image exists).
 * One table, with throughput and p50 ratios against the fresh-kernel baseline, plus the CPU time
 * per run spent in this (the executor's) process and, on the fork-server rows, in its Python
 * parent and the children it reaped (CPU does not inflate with the machine's load as wall time does).
 *
 * Run: npx tsx bench/execution/run.ts [--runs N] [--no-docker] [--json FILE] [--backends fork,local]
 *   [--snippets figure]
 * `--backends` keeps only the rows whose backend name contains one of the words (e.g. `fork` for
 * the fork-server rows); the Jupyter server starts only when a kept row needs it, and ratios
 * against the fresh kernel are printed only when its row was measured. `--snippets` likewise keeps
 * the snippets whose name contains one of the words (`trivial`, `numpy`, `figure`).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput, Executor } from "@pyfleet/core";
import {
  ContainerExecutor,
  DEFAULT_EXECUTION_OPTIONS,
  DockerExecutor,
  ForkServerExecutor,
  type KernelPool,
  LocalExecutor,
  makeServerSettings,
} from "@pyfleet/execution";
import { startJupyterFixture } from "@pyfleet/testing";
import { freshKernelExecutor } from "./fresh-kernel.js";

const arg = (name: string) => process.argv.indexOf(name);
const RUNS = arg("--runs") > 0 ? Number(process.argv[arg("--runs") + 1]) : 20;
const WITH_DOCKER = arg("--no-docker") < 0;
const JSON_OUT = arg("--json") > 0 ? process.argv[arg("--json") + 1] : undefined;
/** Clock ticks per second of /proc's CPU times. */
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
const BACKENDS = arg("--backends") > 0 ? String(process.argv[arg("--backends") + 1]).split(",") : undefined;
const SNIPPET_WORDS = arg("--snippets") > 0 ? String(process.argv[arg("--snippets") + 1]).split(",") : undefined;

const SNIPPETS = {
  trivial: "results = {'x': 1}",
  numpy: ["import numpy as np", "x = np.random.default_rng(1).normal(size=10_000)", "results = {'mean': float(x.mean()), 'std': float(x.std())}"].join("\n"),
  "figure png": [
    "import numpy as np",
    "import matplotlib.pyplot as plt",
    "x = np.random.default_rng(1).normal(size=10_000)",
    "plt.hist(x, bins=50)",
    "results = {'mean': float(x.mean()), 'std': float(x.std())}",
  ].join("\n"),
};

export interface Row {
  backend: string;
  snippet: string;
  runs: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** CPU ms per run of this (the executor's) process only: Python, kernels and containers not included. */
  cpuMs: number;
  /** Fork server rows: CPU ms per run of the Python parent and the children it reaped (clock ticks: ±10 ms over all runs). */
  pythonCpuMs?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** CPU time (ms) of this process. */
function cpuNow(): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1000;
}

/**
 * CPU ms so far of the fork server's Python parent and of the children it reaped (utime, stime,
 * cutime, cstime in /proc; sandboxed, the parent is the one child of bubblewrap).
 */
async function forkServerCpu(executor: Executor): Promise<number | undefined> {
  const info = executor instanceof ForkServerExecutor ? executor.parentInfo : undefined;
  if (!info?.hostPid) return undefined;
  const children = await readFile(`/proc/${info.hostPid}/task/${info.hostPid}/children`, "utf8").catch(() => "");
  const launched = (await readFile(`/proc/${info.hostPid}/cmdline`, "utf8")).split("\0")[0] ?? "";
  const pid = launched.endsWith("bwrap") ? Number(children.trim().split(/\s+/)[0]) : info.hostPid;
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  // fields[0] is field 3 (state): utime, stime, cutime, cstime are fields 14-17
  const ticks = (fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0);
  return (ticks * 1000) / CLOCK_TICKS;
}

async function measure(backend: string, executor: Executor, snippet: keyof typeof SNIPPETS, workDir: string, settle?: () => Promise<void>): Promise<Row> {
  const input: ExecuteInput = {
    runId: "bench",
    attempt: 1,
    code: SNIPPETS[snippet],
    mode: "read_only",
    context: null,
    workDir,
    timeoutMs: 60_000,
    dryRun: false,
  };
  await settle?.();
  const first = await executor.execute(input);
  if (first.error) throw new Error(`${backend}: ${first.error.ename}: ${first.error.evalue}`);
  await settle?.();
  const times: number[] = [];
  const cpu0 = cpuNow();
  const python0 = await forkServerCpu(executor);
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const out = await executor.execute(input);
    if (out.error) throw new Error(`${backend}: ${out.error.ename}: ${out.error.evalue}`);
    times.push(performance.now() - t);
  }
  const total = performance.now() - started;
  const cpuMs = (cpuNow() - cpu0) / RUNS;
  const python1 = await forkServerCpu(executor);
  times.sort((a, b) => a - b);
  return {
    backend,
    snippet,
    runs: RUNS,
    perSecond: (RUNS * 1000) / total,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    cpuMs,
    ...(python0 !== undefined && python1 !== undefined ? { pythonCpuMs: (python1 - python0) / RUNS } : {}),
  };
}

/** Waits until the pool has all its idle kernels, so each measurement starts from a warm pool. */
function warmPool(pool: KernelPool, idle: number): () => Promise<void> {
  return async () => {
    const deadline = Date.now() + 60_000;
    while (pool.stats().idle < idle && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };
}

async function main(): Promise<void> {
  // @jupyterlab/services announces every websocket with console.debug; keep the table clean
  console.debug = () => undefined;
  // started on first use: a run of the fork-server rows alone needs no Jupyter server
  let jupyter: Awaited<ReturnType<typeof startJupyterFixture>> | undefined;
  const settings = async () => {
    jupyter ??= await startJupyterFixture();
    return makeServerSettings(jupyter);
  };
  const workDir = await mkdtemp(join(tmpdir(), "pyfleet-bench-exec-"));
  const container = { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 2, pool_max_size: 4 };
  const maxStdoutBytes = DEFAULT_EXECUTION_OPTIONS.limits.max_stdout_bytes;
  const rows: Row[] = [];
  const notes: string[] = [];
  const { local, sandbox } = DEFAULT_EXECUTION_OPTIONS.execution;
  const forked = async (sandboxed: boolean) => {
    const executor = new ForkServerExecutor({ mode: "read_only", local, forkServer: local.fork_server, ...(sandboxed ? { sandbox } : {}), maxStdoutBytes });
    await executor.warm();
    return { executor };
  };
  const pooled = async (reset: "restart" | "reset") => {
    const executor = new ContainerExecutor({ kernelName: "python3-epics-readonly", mode: "read_only", settings: await settings(), container: { ...container, reset }, maxStdoutBytes });
    return { executor, settle: warmPool(executor.pool, container.pool_min_idle) };
  };
  // each backend is created when its turn comes and closed after, so no pool's background
  // kernel starts compete with another backend's measurement
  const plan: Array<[string, () => Promise<{ executor: Executor; settle?: () => Promise<void> }>]> = [
    ["fresh kernel per run (original)", async () => ({ executor: freshKernelExecutor("python3-epics-readonly", await settings(), maxStdoutBytes) })],
    ["warm pool, restart after run", () => pooled("restart")],
    ["warm pool, reset in place", () => pooled("reset")],
    ["local spawn (sandboxed)", async () => ({ executor: new LocalExecutor({ local, sandbox, maxStdoutBytes }) })],
    ["fork server (sandboxed)", async () => forked(true)],
    ["fork server, no sandbox", async () => forked(false)],
  ];
  if (WITH_DOCKER) plan.push(["docker one-shot", async () => ({ executor: await DockerExecutor.create({ options: {} }) })]);
  try {
    for (const [name, make] of plan) {
      if (BACKENDS && !BACKENDS.some((word) => name.includes(word))) continue;
      let made: { executor: Executor; settle?: () => Promise<void> };
      try {
        made = await make();
      } catch (err) {
        notes.push(`${name} skipped: ${(err as Error).message.split("\n")[0]}`);
        continue;
      }
      try {
        for (const snippet of Object.keys(SNIPPETS) as Array<keyof typeof SNIPPETS>) {
          if (SNIPPET_WORDS && !SNIPPET_WORDS.some((word) => snippet.includes(word))) continue;
          rows.push(await measure(name, made.executor, snippet, workDir, made.settle));
          process.stderr.write(`done: ${name} / ${snippet}\n`);
        }
      } finally {
        await made.executor.close();
      }
    }
  } finally {
    await jupyter?.close();
    await rm(workDir, { recursive: true, force: true });
  }
  printTable(rows, notes);
  if (JSON_OUT) await writeFile(JSON_OUT, JSON.stringify({ bench: "execution", runs: RUNS, loadavg: loadavg(), rows, notes }, null, 2));
}

function printTable(rows: Row[], notes: string[]): void {
  const base = new Map(rows.filter((r) => r.backend.startsWith("fresh kernel")).map((r) => [r.snippet, r]));
  const f = (n: number, d = 1) => n.toFixed(d);
  const out = [
    `Execution bench: ${RUNS} sequential runs per row after one warm-up run; 2 cores, load average ${loadavg().map((l) => l.toFixed(1)).join(" / ")}.`,
    "",
    "| backend | snippet | runs/s | p50 ms | p95 ms | p99 ms | node cpu ms/run | python cpu ms/run | runs/s vs fresh kernel | p50 vs fresh kernel |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const b = base.get(r.snippet);
    const thr = b ? `${f(r.perSecond / b.perSecond, 2)}x` : "-";
    const lat = b ? `${f(b.p50 / r.p50, 2)}x faster` : "-";
    out.push(`| ${r.backend} | ${r.snippet} | ${f(r.perSecond, 2)} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.cpuMs, 2)} | ${r.pythonCpuMs === undefined ? "-" : f(r.pythonCpuMs, 2)} | ${thr} | ${lat} |`);
  }
  for (const n of notes) out.push("", `note: ${n}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

await main();
