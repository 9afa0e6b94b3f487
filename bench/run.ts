/**
 * `npm run bench [-- --quick] [-- --only execution,e2e,analysis,resources]`: runs the benchmark scenarios
 * one after the other (each in its own process, so one cannot warm or load the next), streams
 * their tables, and writes every scenario's raw numbers and printed table to
 * `bench/results/<time>.json` (gitignored). Every table carries its own baseline, measured in
 * the same run. Not part of the test suite.
 *
 * Scenarios:
 * - execution: backends side by side (fresh kernel per run as the seed did, warm kernel pools,
 *   local spawn, fork server with and without the sandbox, docker one-shot) on a trivial, a
 *   numpy and a one-figure PNG snippet (bench/execution).
 * - e2e: fleet overhead (provided code through producer → analyze → execute → finalize in separate
 *   processes, one at a time and a burst) and scale-out over 1/2/4 executors, against the same
 *   backend called directly, with the per-run stage split (bench/e2e).
 * - analysis: 1,000-line analysis, native and wasm parser, against the original regex scan
 *   (bench/analysis).
 * - resources: Redis bytes and commands per finished run (against the idle fleet's traffic),
 *   Redis memory per finished run while retained and after retention (against the idle fleet
 *   before the first run), and worker RSS over 10,000 runs (against RSS after warm-up), on a
 *   private redis-server (bench/resources).
 *
 * Before each scenario a line gives the machine's CPU probes (`machine-speed.ts`): the same
 * table from a machine whose probes are slower is not a slower fleet.
 *
 * `--quick` uses fewer runs and 1/2 executors: about 4 minutes on a quiet 2-core machine (session 12:
 * execution 80 s, the seed's fresh kernels ~0.75 s a run; resources 155 s, 140 of them waiting out
 * the schema's minimum retention, 60 s, twice), not one: what is left after retention needs the waits.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatMachineSpeed, type MachineSpeed, measureMachineSpeed } from "./machine-speed.js";

const QUICK = process.argv.includes("--quick");
const ONLY = process.argv.includes("--only") ? String(process.argv[process.argv.indexOf("--only") + 1]).split(",") : undefined;
const HERE = fileURLToPath(new URL(".", import.meta.url));
const RESULTS = join(HERE, "results");

interface Scenario {
  name: string;
  script: string;
  args: (json: string) => string[];
  /** Writes `--json FILE` itself; otherwise only its printed table is kept. */
  json: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: "execution",
    script: "execution/run.ts",
    args: (json) => ["--runs", QUICK ? "10" : "30", "--json", json],
    json: true,
  },
  {
    name: "e2e",
    script: "e2e/run.ts",
    // 100 runs one at a time: a p50 of whole milliseconds (the records' timestamps) from 30 moved by 1-2 ms between runs
    args: (json) => ["--runs", QUICK ? "40" : "200", "--one-at-a-time", QUICK ? "30" : "100", "--executors", QUICK ? "1,2" : "1,2,4", "--json", json],
    json: true,
  },
  { name: "analysis", script: "analysis/run.ts", args: () => ["--runs", QUICK ? "60" : "300"], json: false },
  {
    name: "resources",
    script: "resources/run.ts",
    args: (json) => ["--runs", QUICK ? "300" : "10000", "--json", json],
    json: true,
  },
];

async function runScenario(s: Scenario, jsonFile: string): Promise<{ code: number; output: string; seconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", join(HERE, s.script), ...s.args(jsonFile)], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (b: Buffer) => {
    output += b.toString("utf8");
    process.stdout.write(b);
  });
  const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
  return { code, output, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<number> {
  mkdirSync(RESULTS, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const scratch = join(tmpdir(), `pyfleet-bench-${stamp}`);
  mkdirSync(scratch, { recursive: true });
  const summary: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    quick: QUICK,
    cpus: cpus().length,
    loadavgAtStart: loadavg(),
    scenarios: {},
  };
  let failed = 0;
  try {
    for (const s of SCENARIOS) {
      if (ONLY && !ONLY.includes(s.name)) continue;
      process.stdout.write(`\n=== ${s.name} (load average ${loadavg().map((l) => l.toFixed(1)).join(" ")})\n`);
      // the host's speed can change between scenarios (a busy neighbour): each gets its own probe
      const speed: MachineSpeed = measureMachineSpeed();
      process.stdout.write(`${formatMachineSpeed(speed)}\n`);
      const jsonFile = join(scratch, `${s.name}.json`);
      const r = await runScenario(s, jsonFile);
      if (r.code !== 0) failed++;
      let raw: unknown = null;
      if (s.json) {
        try {
          raw = JSON.parse(readFileSync(jsonFile, "utf8"));
        } catch {
          raw = null;
        }
      }
      (summary.scenarios as Record<string, unknown>)[s.name] = { exitCode: r.code, seconds: r.seconds, machineSpeed: speed, loadavgAfter: loadavg(), raw, printed: r.output };
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const file = join(RESULTS, `${stamp}${QUICK ? "-quick" : ""}.json`);
  writeFileSync(file, JSON.stringify({ ...summary, finishedAt: new Date().toISOString() }, null, 2));
  process.stdout.write(`\nraw numbers: ${file}${failed ? `\n${failed} scenario(s) exited non-zero` : ""}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
