/** Pieces both chaos scripts share: flags, the chaos config.yml, and replaceable worker pools. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { SpawnedWorker } from "@pyfleet/runtime/testing";
import { parse, stringify } from "yaml";
import { type BenchFleet, startBenchFleet } from "../e2e/harness.js";
import { deepMerge } from "./deep-merge.js";

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
 * a short drain, file writes allowed (runs mark their executions with a file), and `patch`
 * merged into `framework` ({@link deepMerge}).
 */
export function chaosConfigFile(dir: string, patch: Record<string, unknown> = {}): string {
  const repo = fileURLToPath(new URL("../../config.yml", import.meta.url));
  const doc = parse(readFileSync(repo, "utf8")) as { framework: Record<string, Record<string, unknown>> };
  const fw = doc.framework;
  fw.queues = { ...fw.queues, lock_seconds: 4, stalled_check_seconds: 2, drain_seconds: 10 };
  fw.analysis = { ...fw.analysis, rules: { "file-write-outside": "allow" } };
  // No IOC here: a write run's dry run (preview) waits 1 s for its unreachable PVs, not 5.
  fw.control_system = { ...fw.control_system, write_connection_timeout_seconds: 1 };
  const file = join(dir, "config.yml");
  writeFileSync(file, stringify({ ...doc, framework: deepMerge(fw, patch) }));
  return file;
}

/**
 * Run code's first line: it leaves a file of its own (a fresh name, so a second execution in the
 * same attempt folder cannot overwrite the first) in its working folder. The sandbox hides host
 * paths; the file comes back to the run's attempt folder under the artifacts root when the
 * execution ends on a live executor (one killed mid-run copies nothing back).
 */
export const markExecution = (i: number) => `import uuid; open("executed-" + uuid.uuid4().hex + ".${i}", "w").close()`;

/**
 * Executions per run index, from the files {@link markExecution} left below the artifacts root
 * `root` (the write manifest's dry runs, in `dry-run` folders, not counted): the time each file
 * was written, oldest first.
 */
export function readExecutions(root: string): Map<number, number[]> {
  const executions = new Map<number, number[]>();
  for (const f of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    const hit = /^executed-[0-9a-f]{32}\.(\d+)$/.exec(basename(f));
    if (!hit || f.split(sep).includes("dry-run")) continue;
    const i = Number(hit[1]);
    executions.set(i, [...(executions.get(i) ?? []), statSync(join(root, f)).mtimeMs].sort((a, b) => a - b));
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
 * Runs `body` on a bench fleet whose workers use {@link chaosConfigFile} (with `patch`); its
 * second argument is the artifacts root {@link readExecutions} counts in. Workers, keys and files
 * are removed afterwards, also on Ctrl-C / SIGTERM.
 */
export async function withChaosBench(
  label: string,
  extraEnv: Record<string, string>,
  body: (bench: BenchFleet, root: string) => Promise<number>,
  patch: Record<string, unknown> = {},
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `pyfleet-${label}-`));
  const bench = await startBenchFleet(`bench-${label}`, { PYFLEET_CONFIG: chaosConfigFile(dir, patch), ...extraEnv });
  const stop = () => {
    void bench.cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    return await body(bench, bench.env.PYFLEET_ARTIFACTS as string);
  } finally {
    await bench.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
