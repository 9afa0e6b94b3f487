/**
 * Chaos check of the fleet: submits M provided-code read-only runs while SIGKILLing and restarting
 * read-only executor processes and SIGTERMing (and replacing) analyze workers, then checks:
 *   - every run reached a terminal status;
 *   - no run executed twice except where an execution died with a SIGKILLed executor (read-only
 *     runs are at-least-once by design: a killed executor's job is redelivered and runs again);
 *   - every completed run returned its own result.
 * Each run's code leaves a file of its own in its run folder (kit.markExecution), so executions
 * are counted outside the fleet; a repeat is explained only when an executor was SIGKILLed
 * between the two executions. Exit code 1 on any violation.
 *
 *   npx tsx bench/chaos/run.ts                          (120 runs, 30 s of chaos, seed 1)
 *   npx tsx bench/chaos/run.ts --runs 200 --seconds 60 --seed 7
 *   npx tsx bench/chaos/run.ts --kill-analyzers          (SIGKILL analyze workers instead of SIGTERM)
 */
import { isTerminalStatus, RedisKeys, type RunRecord } from "@pyfleet/core";
import { seededRandom } from "@pyfleet/testing";
import { type BenchFleet, waitAllTerminal } from "../e2e/harness.js";
import { loadAverage } from "../e2e/stats.js";
import { argInt, markExecution, readExecutions, report, runMain, sleep, spawnInto, takeRandom, topUp, type WorkerPool, withChaosBench, workerPool } from "./kit.js";

const RUNS = argInt("--runs", 120);
const CHAOS_SECONDS = argInt("--seconds", 30);
const SEED = argInt("--seed", 1);
const ANALYZER_SIGNAL: NodeJS.Signals = process.argv.includes("--kill-analyzers") ? "SIGKILL" : "SIGTERM";

const rng = seededRandom(SEED);

const code = (i: number) =>
  [
    markExecution(i),
    "import time",
    `time.sleep(${(0.1 + (i % 5) * 0.1).toFixed(1)})`,
    `results = {"i": ${i}}`,
  ].join("\n");

interface Pools {
  executors: WorkerPool;
  analyzers: WorkerPool;
  /** When executors were SIGKILLed (ms). */
  kills: number[];
  actions: { sigkill: number; sigterm: number; idle: number };
}

/** One chaos step: SIGKILL an executor (replaced after a pause) or stop an analyzer (SIGTERM or SIGKILL; replaced now). */
async function chaosStep(bench: BenchFleet, pools: Pools, pending: Promise<void>[]): Promise<void> {
  const executor = rng() < 0.65 ? takeRandom(pools.executors, rng) : undefined;
  if (executor) {
    pools.kills.push(Date.now());
    pools.actions.sigkill++;
    executor.child.kill("SIGKILL");
    pending.push(sleep(300 + rng() * 2000).then(() => spawnInto(bench, pools.executors)));
    return;
  }
  const analyzer = takeRandom(pools.analyzers, rng);
  if (analyzer) {
    pools.actions.sigterm++;
    analyzer.child.kill(ANALYZER_SIGNAL);
    pending.push(spawnInto(bench, pools.analyzers));
  } else {
    pools.actions.idle++;
  }
}

async function main(bench: BenchFleet, root: string): Promise<number> {
  const pools: Pools = {
    executors: workerPool(["--stage", "execute", "--mode", "read_only"], 3),
    analyzers: workerPool(["--stage", "analyze"], 2),
    kills: [],
    actions: { sigkill: 0, sigterm: 0, idle: 0 },
  };
  process.stdout.write(`chaos: ${RUNS} runs, ${CHAOS_SECONDS} s of chaos, seed ${SEED}, prefix ${bench.fx.prefix}\n`);
    await topUp(bench, [pools.executors, pools.analyzers]);
    const ids: string[] = [];
    const t0 = Date.now();
    const chaosEnd = t0 + CHAOS_SECONDS * 1000;
    const pending: Promise<void>[] = [];
    let submitted = false;
    const submitting = (async () => {
      for (let i = 0; i < RUNS; i++) {
        ids.push((await bench.client.submit({ user_query: "chaos", task_objective: `chaos run ${i}`, code: code(i) })).runId);
        await sleep((CHAOS_SECONDS * 1000 * 0.7) / RUNS);
      }
      submitted = true;
    })();
    // Chaos lasts at least CHAOS_SECONDS and until every run is submitted.
    while (Date.now() < chaosEnd || !submitted) {
      await sleep(800 + rng() * 1700);
      await chaosStep(bench, pools, pending);
    }
    await submitting;
    await Promise.all(pending);
    await topUp(bench, [pools.executors, pools.analyzers]);
    process.stdout.write(`chaos over after ${((Date.now() - t0) / 1000).toFixed(1)} s; waiting for the runs (load ${loadAverage()})\n`);
    const done = await waitAllTerminal(bench.fleet, ids, 180_000);
    return await verdict(bench, ids, done, root, pools, Date.now() - t0);
}

/**
 * The BullMQ jobs of a run still in Redis (`<queue>:<runId>.<step>.<node>` hashes) with their
 * attempts, stalls and failure, so a run that never ended says where its job went.
 */
async function jobTrail(bench: BenchFleet, runId: string): Promise<string> {
  const redis = bench.fx.redis;
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${new RedisKeys(bench.fx.prefix).bullPrefix}:*:${runId}.*`, "COUNT", 1000);
    cursor = next;
    keys.push(...found.filter((k) => !/:(logs|lock)$/.test(k)));
  } while (cursor !== "0");
  const rows = await Promise.all(
    keys.map(async (k) => {
      const [attempts, stalled, failed, finished] = await redis.hmget(k, "attemptsMade", "stc", "failedReason", "finishedOn");
      return `${k.split(":").slice(-2).join(":")} attempts ${attempts ?? 0}, stalls ${stalled ?? 0}, ${finished ? `finished${failed ? ` (failed: ${failed.slice(0, 120)})` : ""}` : "not finished"}`;
    }),
  );
  return rows.join("; ") || "none left in Redis";
}

async function verdict(
  bench: BenchFleet,
  ids: string[],
  done: Map<string, RunRecord>,
  root: string,
  pools: Pools,
  elapsedMs: number,
): Promise<number> {
  const violations: string[] = [];
  const executions = readExecutions(root);
  const byStatus = new Map<string, number>();
  let explainedRepeats = 0;
  for (const [i, id] of ids.entries()) {
    const rec = done.get(id) ?? (await bench.fleet.get(id));
    const status = rec?.status ?? "missing";
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (!rec || !isTerminalStatus(rec.status)) violations.push(`run ${i} (${id}) is not terminal: ${status} (stage ${rec?.stage ?? "-"}, updated ${rec?.updatedAt ?? "-"}); its jobs: ${await jobTrail(bench, id)}`);
    const times = executions.get(i) ?? [];
    // A run may be repeated when an executor was SIGKILLed between its two executions (its job came back).
    const unexplained = times.slice(1).filter((t, n) => !pools.kills.some((k) => k >= (times[n] as number) - 1000 && k <= t));
    if (unexplained.length > 0) violations.push(`run ${i} (${id}) executed ${times.length} times with no executor SIGKILLed in between`);
    else if (times.length > 1) explainedRepeats++;
    if (rec?.status === "completed") {
      if (times.length === 0) violations.push(`run ${i} (${id}) completed without executing`);
      const got = (await bench.fleet.details(id))?.final?.result?.results.i;
      if (got !== i) violations.push(`run ${i} (${id}) completed with results.i = ${JSON.stringify(got)}`);
    } else if (rec?.status === "failed") {
      process.stdout.write(`  run ${i} failed: ${rec.error?.code ?? "?"} ${rec.error?.message?.slice(0, 160) ?? ""}\n`);
    }
  }
  const counts = [...executions.values()].map((p) => p.length);
  return report(
    [
      ["runs submitted", `${ids.length} in ${(elapsedMs / 1000).toFixed(1)} s`],
      ["terminal statuses", [...byStatus].map(([s, n]) => `${s} ${n}`).join(", ")],
      [
        "executions logged",
        `${counts.reduce((a, b) => a + b, 0)} (runs executed once ${counts.filter((n) => n === 1).length}, more than once ${counts.filter((n) => n > 1).length}, of which after a SIGKILL ${explainedRepeats})`,
      ],
      [
        "chaos actions",
        `SIGKILL executor ${pools.actions.sigkill}, ${ANALYZER_SIGNAL} analyzer ${pools.actions.sigterm}, idle steps (every target still booting) ${pools.actions.idle}, failed restarts ${pools.executors.spawnFailures + pools.analyzers.spawnFailures}`,
      ],
    ],
    violations,
    loadAverage(),
  );
}

runMain("chaos run", () => withChaosBench("chaos", {}, main));
