/** Pieces both chaos scripts share: flags, the chaos config.yml, and replaceable worker pools. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SpawnedWorker } from "@pyfleet/fleet/testing";
import { parse, stringify } from "yaml";
import { type BenchFleet, startBenchFleet } from "../e2e/harness.js";

/** The positive integer after `flag` on the command line, or `fallback`. */
export function argInt(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer`);
  return n;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * config.yml with short stall detection (a killed executor's job comes back in seconds, not 30 s),
 * a short drain, and the runs' log file allowed as a write target.
 */
export function chaosConfigFile(dir: string): string {
  const repo = fileURLToPath(new URL("../../config.yml", import.meta.url));
  const doc = parse(readFileSync(repo, "utf8")) as { framework: Record<string, Record<string, unknown>> };
  const fw = doc.framework;
  fw.queues = { ...fw.queues, lock_seconds: 4, stalled_check_seconds: 2, drain_seconds: 10 };
  fw.analysis = { ...fw.analysis, rules: { "file-write-outside": "allow" } };
  // No IOC here: a write run's dry run (preview) waits 1 s for its unreachable PVs, not 5.
  fw.control_system = { ...fw.control_system, write_connection_timeout_seconds: 1 };
  const file = join(dir, "config.yml");
  writeFileSync(file, stringify(doc));
  return file;
}

/** Reads "<run index> <pid>" lines: the executions each run's code logged, with the executor pid. */
export function readExecutions(log: string): Map<number, number[]> {
  const executions = new Map<number, number[]>();
  for (const line of readFileSync(log, "utf8").split("\n")) {
    const [i, pid] = line.split(" ").map(Number);
    if (i === undefined || pid === undefined || Number.isNaN(i) || Number.isNaN(pid)) continue;
    executions.set(i, [...(executions.get(i) ?? []), pid]);
  }
  return executions;
}

/** A worker pool the chaos shrinks and the script tops up again. */
export interface WorkerPool {
  args: string[];
  size: number;
  workers: SpawnedWorker[];
  spawnFailures: number;
}

export function workerPool(args: string[], size: number): WorkerPool {
  return { args, size, workers: [], spawnFailures: 0 };
}

/** Starts one worker into `pool`; a failed start is counted and printed, not thrown. */
export async function spawnInto(bench: BenchFleet, pool: WorkerPool): Promise<void> {
  try {
    pool.workers.push(await bench.spawn(pool.args));
  } catch (err) {
    pool.spawnFailures++;
    process.stderr.write(`spawn ${pool.args.join(" ")} failed: ${(err as Error).message.split("\n")[0]}\n`);
  }
}

/** Brings every pool back to its size, one process at a time (boots compete for the CPU). */
export async function topUp(bench: BenchFleet, pools: WorkerPool[]): Promise<void> {
  for (let tries = 0; tries < 10 && pools.some((p) => p.workers.length < p.size); tries++) {
    for (const p of pools) if (p.workers.length < p.size) await spawnInto(bench, p);
  }
  const empty = pools.find((p) => p.workers.length === 0);
  if (empty) throw new Error(`could not start any ${empty.args.join(" ")} worker`);
}

/** Takes a random worker out of `pool` (the caller kills it). */
export function takeRandom(pool: WorkerPool, rng: () => number): SpawnedWorker | undefined {
  if (pool.workers.length === 0) return undefined;
  return pool.workers.splice(Math.floor(rng() * pool.workers.length), 1)[0];
}

/**
 * Prints the summary (`label  value` lines, then the load average and the violations) and
 * returns the exit code: 1 on any violation.
 */
export function report(rows: Array<[label: string, value: string]>, violations: string[], loadAverage: string): number {
  const lines = [...rows, ["load average", loadAverage] as [string, string], ["violations", String(violations.length)] as [string, string]];
  process.stdout.write(["", ...lines.map(([l, v]) => `${l.padEnd(22)}${v}`), ...violations.map((v) => `  - ${v}`), ""].join("\n"));
  return violations.length > 0 ? 1 : 0;
}

/** Runs a chaos script's main and exits with its code (1 with the stack when it throws). */
export function runMain(label: string, main: () => Promise<number>): void {
  main().then(
    (c) => process.exit(c),
    (err: unknown) => {
      process.stderr.write(`${label} failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * Runs `body` on a bench fleet whose workers use {@link chaosConfigFile}, with an empty execution
 * log in a temp folder; workers, keys and files are removed afterwards, also on Ctrl-C / SIGTERM.
 */
export async function withChaosBench(
  label: string,
  extraEnv: Record<string, string>,
  body: (bench: BenchFleet, log: string) => Promise<number>,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `pyfleet-${label}-`));
  const log = join(dir, "executions.log");
  writeFileSync(log, "");
  const bench = await startBenchFleet(`bench-${label}`, { PYFLEET_CONFIG: chaosConfigFile(dir), ...extraEnv });
  const stop = () => {
    void bench.cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    return await body(bench, log);
  } finally {
    await bench.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
