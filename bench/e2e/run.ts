/**
 * End-to-end bench: provided-code read-only runs through the real fleet (producer HTTP API →
 * analyze worker → read-only executor processes → finalize) on the real Redis, with 1, 2 and 4
 * executor processes (--executors), next to the same snippets run directly on the local backend without the
 * fleet (sequential baseline, same process, same run).
 *
 *   npx tsx bench/e2e/run.ts            (200 runs per phase; REDIS_URL, default redis://127.0.0.1:6379)
 *   npx tsx bench/e2e/run.ts --runs 50 [--executors 1,2,4] [--json FILE]
 *
 * Latency is submit (client side, before the HTTP call) → the run record's `finishedAt`.
 * "one at a time" phases submit the next run when the previous one finished (no queueing);
 * "burst" phases submit every run at once (16 HTTP requests in flight) and measure throughput.
 * The split column takes each run's status events: submit → analyzing, analyzing → executing,
 * executing → finished (p50 of each).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunRecord, silentLogger } from "@pyfleet/core";
import { createExecutorRegistry } from "@pyfleet/execution";
import { type Breakdown, breakdown } from "./breakdown.js";
import { type BenchFleet, mapLimit, startBenchFleet, waitAllTerminal } from "./harness.js";
import { fmt, loadAverage, quantile, ratio, table } from "./stats.js";

const RUNS = argInt("--runs", 200);
const EXECUTORS = (process.argv.includes("--executors") ? String(process.argv[process.argv.indexOf("--executors") + 1]) : "1,2,4")
  .split(",")
  .map(Number);
const JSON_OUT = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : undefined;
const ONE_AT_A_TIME = Math.max(10, Math.min(30, Math.floor(RUNS / 5)));
const IN_FLIGHT = 16;

function argInt(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
  return n;
}

/** Small read-only snippets of the kinds a backend submits; `i` makes every code distinct. */
function snippet(i: number): string {
  switch (i % 4) {
    case 0:
      return `results = {"i": ${i}, "v": ${i} * 2}`;
    case 1:
      return `import statistics\nvals = [x * 0.5 for x in range(${100 + i})]\nresults = {"i": ${i}, "mean": statistics.mean(vals)}`;
    case 2:
      return `for k in range(3):\n    print("line", k, ${i})\nresults = {"i": ${i}}`;
    default:
      return `import json, math\nresults = {"i": ${i}, "s": json.dumps({"r": math.sqrt(${i})})}`;
  }
}

interface Phase {
  name: string;
  runs: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  failed: number;
  load: string;
  /** p50 per segment (fleet phases only). */
  split?: Breakdown;
}

function phase(name: string, latencies: number[], wallMs: number, failed: number): Phase {
  return {
    name,
    runs: latencies.length + failed,
    perSecond: (latencies.length / wallMs) * 1000,
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    p99: quantile(latencies, 0.99),
    failed,
    load: loadAverage(),
  };
}

/** The same snippets on the local backend, one after the other, without queues or checkpoints. */
async function baseline(bench: BenchFleet, n: number): Promise<Phase> {
  const registry = createExecutorRegistry(bench.config, { env: bench.env, logger: silentLogger() });
  const executor = registry.get("local", "read_only");
  const root = mkdtempSync(join(tmpdir(), "pyfleet-bench-base-"));
  const latencies: number[] = [];
  let failed = 0;
  try {
    const exec = async (i: number) => {
      const workDir = join(root, String(i));
      mkdirSync(workDir);
      const t0 = performance.now();
      const out = await executor.execute({
        runId: `base-${i}`,
        attempt: 1,
        code: snippet(i),
        mode: "read_only",
        context: null,
        workDir,
        timeoutMs: registry.timeoutMs,
        dryRun: false,
      });
      return { ms: performance.now() - t0, ok: !out.error };
    };
    for (let i = 0; i < 5; i++) await exec(-1 - i);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await exec(i);
      if (r.ok) latencies.push(r.ms);
      else failed++;
    }
    return phase("baseline: local backend, no fleet, sequential", latencies, performance.now() - t0, failed);
  } finally {
    await registry.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** Submits `codes` through the HTTP API (`inFlight` at a time) and waits for all of them. */
async function submitAndWait(
  bench: BenchFleet,
  codes: string[],
  inFlight: number,
): Promise<{ latencies: number[]; failed: number; wallMs: number; submittedAt: Map<string, number> }> {
  const submittedAt = new Map<string, number>();
  const t0 = Date.now();
  const ids = await mapLimit(codes, inFlight, async (code) => {
    const at = Date.now();
    const run = await bench.client.submit({ user_query: "bench", task_objective: "e2e bench", code });
    submittedAt.set(run.runId, at);
    return run.runId;
  });
  const done = await waitAllTerminal(bench.fleet, ids, 120_000 + codes.length * 1000);
  return { ...summarise(ids, done, submittedAt, t0), submittedAt };
}

function summarise(ids: string[], done: Map<string, RunRecord>, submittedAt: Map<string, number>, t0: number) {
  const latencies: number[] = [];
  let failed = 0;
  let last = t0;
  for (const id of ids) {
    const rec = done.get(id);
    if (rec?.status !== "completed" || !rec.finishedAt) {
      failed++;
      continue;
    }
    const end = Date.parse(rec.finishedAt);
    last = Math.max(last, end);
    latencies.push(end - (submittedAt.get(id) as number));
  }
  return { latencies, failed, wallMs: last - t0 };
}

async function fleetPhases(bench: BenchFleet, executors: number, offset: number): Promise<Phase[]> {
  const label = `fleet: ${executors} executor${executors === 1 ? "" : "s"}`;
  await submitAndWait(bench, [0, 1, 2, 3, 4, 5].map((i) => snippet(offset - 1 - i)), 6);
  const seq = { latencies: [] as number[], failed: 0, wallMs: 0, submittedAt: new Map<string, number>() };
  for (let i = 0; i < ONE_AT_A_TIME; i++) {
    const r = await submitAndWait(bench, [snippet(offset + i)], 1);
    seq.latencies.push(...r.latencies);
    seq.failed += r.failed;
    seq.wallMs += r.wallMs;
    for (const [id, at] of r.submittedAt) seq.submittedAt.set(id, at);
  }
  const one = { ...phase(`${label}, one at a time`, seq.latencies, seq.wallMs, seq.failed), split: await breakdown(bench.fleet, seq.submittedAt) };
  const codes = Array.from({ length: RUNS }, (_, i) => snippet(offset + ONE_AT_A_TIME + i));
  const b = await submitAndWait(bench, codes, IN_FLIGHT);
  return [one, { ...phase(`${label}, burst of ${RUNS}`, b.latencies, b.wallMs, b.failed), split: await breakdown(bench.fleet, b.submittedAt) }];
}

async function main(): Promise<number> {
  const bench = await startBenchFleet("bench-e2e");
  const stop = () => {
    void bench.cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    process.stdout.write(`e2e bench: ${RUNS} runs per burst, ${ONE_AT_A_TIME} one at a time, prefix ${bench.fx.prefix}\n`);
    const base = await baseline(bench, RUNS);
    await bench.spawn(["--stage", "analyze"]);
    const phases: Phase[] = [];
    let running = 0;
    for (const n of EXECUTORS) {
      for (; running < n; running++) await bench.spawn(["--stage", "execute", "--mode", "read_only"]);
      phases.push(...(await fleetPhases(bench, n, n * 100_000)));
      process.stdout.write(`  ${n} executor(s) done (load ${loadAverage()})\n`);
    }
    const burst1 = phases[1]?.perSecond ?? Number.NaN;
    const rows = [base, ...phases].map((p) => [
      p.name,
      String(p.runs),
      String(p.failed),
      fmt(p.perSecond),
      ratio(p.perSecond, base.perSecond),
      p.name.includes("burst") ? ratio(p.perSecond, burst1) : "",
      fmt(p.p50),
      fmt(p.p95),
      fmt(p.p99),
      ratio(p.p50, base.p50),
      p.split ? `${fmt(p.split.toAnalyze, 0)} / ${fmt(p.split.analyzeToExecute, 0)} / ${fmt(p.split.executeToDone, 0)}` : "",
      p.load,
    ]);
    const header = [
      "setup",
      "runs",
      "failed",
      "runs/s",
      "vs base",
      "vs 1 exec",
      "p50 ms",
      "p95 ms",
      "p99 ms",
      "p50 vs base",
      "p50 ms →analyze / →execute / →done",
      "load avg 1/5/15",
    ];
    process.stdout.write(`\n${table(header, rows)}\n\n`);
    if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ bench: "e2e", runs: RUNS, baseline: base, phases }, null, 2));
    process.stdout.write(
      "executor processes: execute_read_only concurrency from config.yml; one analyze worker; producer + polling in this process\n",
    );
    return phases.some((p) => p.failed > 0) || base.failed > 0 ? 1 : 0;
  } finally {
    await bench.cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`e2e bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
