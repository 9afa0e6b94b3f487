/**
 * End-to-end bench: provided-code read-only runs through the real fleet (producer HTTP API →
 * analyze worker → read-only executor processes → finalize) on the real Redis, with 1, 2 and 4
 * executor processes (--executors), next to the same snippets run directly on the local backend without the
 * fleet (sequential baseline, same process, same run).
 *
 *   npx tsx bench/e2e/run.ts            (200 runs per phase; REDIS_URL, default redis://127.0.0.1:6379)
 *   npx tsx bench/e2e/run.ts --runs 50 [--executors 1,2,4] [--json FILE]
 *   npx tsx bench/e2e/run.ts --one-at-a-time 100 --no-burst   (latency only: 100 sequential runs, no burst)
 *   npx tsx bench/e2e/run.ts --one-at-a-time 100 --no-burst --executors 1,2,1,2 [--warm-up 100]
 *     (a smaller count stops the executors started last, so the same counts are measured early and
 *     late in one run; every phase runs codes of its own, never served from the analysis cache;
 *     `--warm-up N` runs before each phase, default 30)
 *   npx tsx bench/e2e/run.ts --producer URL [--token TOKEN] [--runs 50] [--json FILE]
 *
 * Latency is submit (client side, before the HTTP call) → the run record's `finishedAt`.
 * "one at a time" phases submit the next run when the previous one finished (no queueing);
 * "burst" phases submit every run at once (16 HTTP requests in flight) and measure throughput.
 * The split column takes each run's status events: submit → analyzing, analyzing → executing,
 * executing → finished (p50 of each).
 *
 * `--producer URL` measures a deployed fleet instead, through its producer's HTTP API only (the
 * SDK; `--token` or `PYFLEET_TOKEN` when the producer has tokens): no Redis access, no workers
 * started, whatever executors the deployment runs. Latency is then the record's `createdAt` →
 * `finishedAt` (server clocks, so the client's clock and network do not enter it), and the
 * baseline is the API's own round trip (`GET /v1/runs/<id>` of a finished run, sequential).
 * Every run is read-only provided code; the runs stay in the fleet (retention removes them).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PyfleetClient } from "@pyfleet/client";
import { silentLogger } from "@pyfleet/core";
import { createExecutorRegistry } from "@pyfleet/execution";
import { type Breakdown, breakdown } from "./breakdown.js";
import type { SpawnedWorker } from "@pyfleet/runtime/testing";
import { type BenchFleet, mapLimit, startBenchFleet } from "./harness.js";
import { fmt, loadAverage, quantile, ratio, table } from "./stats.js";
import { type BenchTarget, type FinishedRun, localTarget, producerArgs, producerTarget } from "./target.js";

const RUNS = argInt("--runs", 200);
const EXECUTORS = (process.argv.includes("--executors") ? String(process.argv[process.argv.indexOf("--executors") + 1]) : "1,2,4")
  .split(",")
  .map(Number);
const JSON_OUT = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : undefined;
const ONE_AT_A_TIME = process.argv.includes("--one-at-a-time") ? argInt("--one-at-a-time", 30) : Math.max(10, Math.min(30, Math.floor(RUNS / 5)));
const BURST = !process.argv.includes("--no-burst");
const IN_FLIGHT = 16;
/**
 * Runs submitted (up to 16 at a time) before each fleet phase is measured (`--warm-up`, default
 * 30): a phase starts executor processes of its own, and the overhead asked about is a warm
 * fleet's (a deployed executor has served many runs); with 6, the first phase measured V8 still
 * compiling the run path.
 */
const WARM_UP = argInt("--warm-up", 30);
const PRODUCER = producerArgs(process.argv);

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
      return `import statistics\nvals = [x * 0.5 for x in range(${100 + (i % 100)})]\nresults = {"i": ${i}, "mean": statistics.mean(vals)}`;
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

/**
 * Submits `codes` (`inFlight` at a time) and waits for all of them. A run's start is the bench's
 * submit time on its own fleet, the record's `createdAt` on a deployed one (`serverStart`).
 */
async function submitAndWait(
  target: BenchTarget,
  codes: string[],
  inFlight: number,
  serverStart: boolean,
): Promise<{ latencies: number[]; failed: number; wallMs: number; startedAt: Map<string, number>; done: Map<string, FinishedRun> }> {
  const submittedAt = new Map<string, number>();
  const ids = await mapLimit(codes, inFlight, async (code) => {
    const at = Date.now();
    const runId = await target.submit(code);
    submittedAt.set(runId, at);
    return runId;
  });
  const done = await target.waitAll(ids, 120_000 + codes.length * 1000);
  const startedAt = serverStart ? new Map(ids.map((id) => [id, Date.parse(done.get(id)?.createdAt ?? "")])) : submittedAt;
  return { ...summarise(ids, done, startedAt), startedAt, done };
}

function summarise(ids: string[], done: Map<string, FinishedRun>, startedAt: Map<string, number>) {
  const latencies: number[] = [];
  let failed = 0;
  const t0 = Math.min(...ids.map((id) => startedAt.get(id) ?? Number.POSITIVE_INFINITY));
  let last = t0;
  for (const id of ids) {
    const rec = done.get(id);
    if (rec?.status !== "completed" || !rec.finishedAt) {
      failed++;
      continue;
    }
    const end = Date.parse(rec.finishedAt);
    last = Math.max(last, end);
    latencies.push(end - (startedAt.get(id) as number));
  }
  return { latencies, failed, wallMs: last - t0 };
}

/** A warm-up, `ONE_AT_A_TIME` runs one after the other, then a burst of `RUNS`; `label` names the fleet. */
async function fleetPhases(target: BenchTarget, label: string, offset: number, serverStart: boolean): Promise<Phase[]> {
  const warm = Array.from({ length: WARM_UP }, (_, i) => snippet(offset - 1 - i));
  await submitAndWait(target, warm, Math.min(WARM_UP, IN_FLIGHT), serverStart);
  const seq = { latencies: [] as number[], failed: 0, wallMs: 0, startedAt: new Map<string, number>(), done: new Map<string, FinishedRun>() };
  for (let i = 0; i < ONE_AT_A_TIME; i++) {
    const r = await submitAndWait(target, [snippet(offset + i)], 1, serverStart);
    seq.latencies.push(...r.latencies);
    seq.failed += r.failed;
    seq.wallMs += r.wallMs;
    for (const [id, at] of r.startedAt) seq.startedAt.set(id, at);
    for (const [id, rec] of r.done) seq.done.set(id, rec);
  }
  const one = { ...phase(`${label}, one at a time`, seq.latencies, seq.wallMs, seq.failed), split: await breakdown(target, seq.startedAt, seq.done) };
  if (!BURST) return [one];
  const codes = Array.from({ length: RUNS }, (_, i) => snippet(offset + ONE_AT_A_TIME + i));
  const b = await submitAndWait(target, codes, IN_FLIGHT, serverStart);
  return [one, { ...phase(`${label}, burst of ${RUNS}`, b.latencies, b.wallMs, b.failed), split: await breakdown(target, b.startedAt, b.done) }];
}

/** The producer API's own round trip: `GET /v1/runs/<id>` of one finished run, one after the other. */
async function apiBaseline(client: PyfleetClient, target: BenchTarget, n: number): Promise<Phase> {
  const runId = await target.submit(snippet(-100));
  await target.waitAll([runId], 120_000);
  for (let i = 0; i < 5; i++) await client.get(runId);
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await client.get(runId);
    latencies.push(performance.now() - t);
  }
  return phase("baseline: producer API round trip (GET /v1/runs/<id>), sequential", latencies, performance.now() - t0, 0);
}

/** Against a deployed producer: API baseline, then one fleet's phases, all through the SDK. */
async function remote(url: string, token: string | undefined): Promise<{ base: Phase; phases: Phase[]; note: string }> {
  const client = new PyfleetClient({ baseUrl: url, ...(token ? { token } : {}) });
  const target = producerTarget(client);
  process.stdout.write(`e2e bench against the producer at ${client.baseUrl}: ${RUNS} runs per burst, ${ONE_AT_A_TIME} one at a time\n`);
  const base = await apiBaseline(client, target, RUNS);
  // codes differ from an earlier invocation's, so a cache keyed by the code's hash serves none of them
  const phases = await fleetPhases(target, "deployed fleet", (Date.now() % 1_000_000) * 1000, true);
  process.stdout.write(`  done (load here ${loadAverage()})\n`);
  return { base, phases, note: `deployed fleet at ${client.baseUrl}: latency = record createdAt → finishedAt (server clocks); executors as deployed` };
}

/** Against a fleet of its own: direct-backend baseline, then 1, 2, 4... executors. */
async function local(bench: BenchFleet): Promise<{ base: Phase; phases: Phase[]; note: string }> {
  process.stdout.write(`e2e bench: ${RUNS} runs per burst, ${ONE_AT_A_TIME} one at a time, prefix ${bench.fx.prefix}\n`);
  const base = await baseline(bench, RUNS);
  await bench.spawn(["--stage", "analyze"]);
  const target = await localTarget(bench.client, bench.fleet);
  const phases: Phase[] = [];
  const executors: SpawnedWorker[] = [];
  try {
    for (const [k, n] of EXECUTORS.entries()) {
      while (executors.length < n) executors.push(await bench.spawn(["--stage", "execute", "--mode", "read_only"]));
      // SIGTERM: the worker drains (no job is in flight between phases) and exits
      while (executors.length > n) await executors.pop()?.stop("SIGTERM");
      phases.push(...(await fleetPhases(target, `fleet: ${n} executor${n === 1 ? "" : "s"}`, (k + 1) * 100_000, false)));
      process.stdout.write(`  ${n} executor(s) done (load ${loadAverage()})\n`);
    }
  } finally {
    await target.close();
  }
  return { base, phases, note: "executor processes: execute_read_only concurrency from config.yml; one analyze worker; producer + polling in this process" };
}

async function main(): Promise<number> {
  if (PRODUCER) return report(await remote(PRODUCER.url, PRODUCER.token));
  const bench = await startBenchFleet("bench-e2e");
  const stop = () => {
    void bench.cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    return report(await local(bench));
  } finally {
    await bench.cleanup();
  }
}

/** Prints the table (and the JSON file); exit code 1 when a run failed. */
function report({ base, phases, note }: { base: Phase; phases: Phase[]; note: string }): number {
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
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ bench: "e2e", runs: RUNS, producer: PRODUCER?.url ?? null, baseline: base, phases }, null, 2));
  process.stdout.write(`${note}\n`);
  return phases.some((p) => p.failed > 0) || base.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`e2e bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
