/**
 * Resources bench: what a finished run costs in Redis (bytes on the wire, commands, memory while
 * retained and after retention) and whether worker processes grow over many runs. The fleet
 * (producer in this process, one analyze worker, one read-only executor process on the default
 * local backend) runs on a private redis-server, so every byte and command counted is the fleet's.
 * Retention is set to its minimum (60 s) in a copy of config.yml so "after retention" is measured
 * in the same run; everything else is the repository's config.
 *
 *   npx tsx bench/resources/run.ts [--runs 10000] [--warm-up N] [--json FILE] [--cpu-prof DIR] [--no-retention]
 *
 * It also prints the CPU each process used per run over the measured runs (`/proc/<pid>/stat`,
 * reaped children included; the executor with and without its fork-server tree, the analyze
 * worker, this process, which hosts the producer and polls statuses, and redis-server).
 * `--cpu-prof DIR` preloads `cpu-profile.mjs` into the executor and the analyze worker, which write
 * their V8 CPU profiles to DIR when they exit (open them in Chrome DevTools or speedscope); this
 * process imports it too, so the producer's share of it can be told from the client's and the polling's.
 * `--no-retention` stops after the CPU and traffic tables instead of waiting out the retention
 * (70 s) for the memory tables: for alternating before/after CPU measurements.
 *
 * Worker memory: after the warm-up and every tenth of the runs, RSS of each process as it is, then
 * RSS and the live JS heap right after a full GC, which `heap-probe.mjs` (preloaded into both
 * workers) runs on SIGUSR2. A leak grows the latter; RSS between collections also holds garbage V8
 * has not collected yet. Growth is judged on the least-squares trend over the samples.
 *
 * Baselines, same run: the idle fleet's traffic over the same time (workers polling, no runs),
 * Redis memory of the started, idle fleet before the first run, each process's memory after warm-up.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { isTerminalStatus, RedisKeys, type RunStatus } from "@pyfleet/core";
import { REPO_CONFIG } from "@pyfleet/runtime/testing";
import { RedisServerFixture } from "@pyfleet/testing";
import { Redis } from "ioredis";
import { type BenchFleet, mapLimit, startBenchFleet } from "../e2e/harness.js";
import { fmt, loadAverage, ratio, table } from "../e2e/stats.js";
import { commandStatsMemory, commandsBetween, cpuMs, keyFamilies, memoryParts, processTree, rss, StatusPoller, traffic, treeCpuMs, usedMemory, writeCalls } from "./redis-probe.js";

const SAMPLES = 10;
/**
 * Growth allowed after a full GC, per run, as the trend over the samples: 1 KB is 10 MB over
 * 10,000 runs, and a leak of one run's record or result (1-3 KB) exceeds it.
 */
const RSS_GROWTH_KB_PER_RUN = 1;
const RUNS = argInt("--runs", 10_000);
const argStr = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const JSON_OUT = argStr("--json");
const CPU_PROF_DIR = argStr("--cpu-prof");
const NO_RETENTION = process.argv.includes("--no-retention");
if (CPU_PROF_DIR) {
  process.env.PYFLEET_CPU_PROF_DIR = CPU_PROF_DIR;
  await import(pathToFileURL(join(import.meta.dirname, "cpu-profile.mjs")).href);
}
/**
 * Runs before the first sample (`--warm-up`, default a tenth of `--runs`, at least 20): a worker's
 * RSS steps up over its first ~1,000-2,000 runs (V8's heap and code space, the allocator's arenas,
 * bounded caches such as the analysis cache filling) and is flat after that.
 */
const WARMUP = process.argv.includes("--warm-up") ? argInt("--warm-up", 20) : Math.max(20, Math.floor(RUNS / 10));
const IN_FLIGHT = 8;
/** Runs per wait: the bench polls the status of every run it waits for, so it waits for few at a time. */
const CHUNK = 40;
const IDLE_MS = 5000;
const RETENTION_S = 60;
const TARGET_BYTES_PER_RUN = 20 * 1024;

function argInt(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < SAMPLES) throw new Error(`${flag} needs an integer >= ${SAMPLES}`);
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kb = (bytes: number) => fmt(bytes / 1024, 1);
const mb = (bytes: number) => fmt(bytes / 1024 ** 2, 1);

/** Submits trivial provided-code runs (`IN_FLIGHT` at a time) in chunks of `CHUNK`, waiting for each chunk; returns how many completed. */
async function runBatch(bench: BenchFleet, poller: StatusPoller, from: number, n: number): Promise<number> {
  let completed = 0;
  for (let start = from; start < from + n; start += CHUNK) {
    const ids = await mapLimit(
      Array.from({ length: Math.min(CHUNK, from + n - start) }, (_, i) => start + i),
      IN_FLIGHT,
      async (i) => (await bench.client.submit({ user_query: "bench", task_objective: "resources bench", code: `results = {"i": ${i}}` })).runId,
    );
    const done = await poller.wait(ids, 120_000 + ids.length * 1000);
    completed += [...done.values()].filter((status) => status === "completed").length;
  }
  return completed;
}

/** A copy of config.yml with run and checkpoint retention at the minimum the schema allows. */
function shortRetentionConfig(dir: string): string {
  const file = join(dir, "config.yml");
  const text = readFileSync(REPO_CONFIG, "utf8").replace(/retention_seconds: \d+/g, `retention_seconds: ${RETENTION_S}`);
  writeFileSync(file, text);
  return file;
}

async function main(): Promise<number> {
  const server = await RedisServerFixture.start({ aof: false });
  process.env.REDIS_URL = server.url;
  const dir = mkdtempSync(join(tmpdir(), "pyfleet-bench-resources-"));
  const redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
  let bench: BenchFleet | null = null;
  const stop = () => {
    void Promise.allSettled([bench?.cleanup(), server.close()]).finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    // the workers read the short retention from the config file, the in-process producer (which
    // enqueues the analyze jobs, and so sets their removeOnComplete age) gets it here
    bench = await startBenchFleet("bench-resources", { PYFLEET_CONFIG: shortRetentionConfig(dir) }, (config) => {
      config.runs.retention_seconds = RETENTION_S;
      config.checkpointer.retention_seconds = RETENTION_S;
    });
    const keys = new RedisKeys(bench.fx.prefix);
    const poller = new StatusPoller(redis, (id) => keys.run(id), (status) => isTerminalStatus(status as RunStatus));
    const probeDir = mkdtempSync(join(dir, "heap-"));
    const preload = (file: string) => `--import ${pathToFileURL(join(import.meta.dirname, file)).href}`;
    const profEnv: Record<string, string> = {
      NODE_OPTIONS: [preload("heap-probe.mjs"), ...(CPU_PROF_DIR ? [preload("cpu-profile.mjs")] : [])].join(" "),
      PYFLEET_HEAP_PROBE_DIR: probeDir,
      ...(CPU_PROF_DIR ? { PYFLEET_CPU_PROF_DIR: CPU_PROF_DIR } : {}),
    };
    const analyze = await bench.spawn(["--stage", "analyze"], undefined, profEnv);
    const execute = await bench.spawn(["--stage", "execute", "--mode", "read_only"], undefined, profEnv);
    process.stdout.write(`resources bench: ${RUNS} runs (${IN_FLIGHT} in flight), private redis-server ${server.url}, retention ${RETENTION_S} s\n`);

    const memBase = await usedMemory(redis);
    const partsBase = await memoryParts(redis);
    const familiesBase = await keyFamilies(redis, bench.fx.prefix);
    // frees (and zeroes) Redis's statistics: before the first traffic reading
    const statsBase = await commandStatsMemory(redis);
    const idleA = await traffic(redis);
    await sleep(IDLE_MS);
    const idleB = await traffic(redis);
    const idleBytesPerMs = (idleB.bytes - idleA.bytes) / (idleB.atMs - idleA.atMs);
    const idleCallsPerMs = (sum(idleB.calls) - sum(idleA.calls)) / (idleB.atMs - idleA.atMs);

    let completed = await runBatch(bench, poller, -WARMUP, WARMUP);
    const rssRows: Array<{ name: string; samples: number[] }> = [
      "analyze worker: RSS",
      "executor (node): RSS",
      "executor + its children (fork server): RSS",
      "analyze worker: RSS after a full GC",
      "analyze worker: live JS heap after a full GC",
      "executor (node): RSS after a full GC",
      "executor (node): live JS heap after a full GC",
      "executor + its children, the executor after a full GC: RSS",
    ].map((name) => ({ name, samples: [] }));
    // RSS as it is first, then RSS and the live heap right after a full GC in each worker
    const sampleMemory = async (): Promise<void> => {
      const values = [rss(analyze.pid), rss(execute.pid), treeRss(execute.pid)];
      const a = await heapAfterGc(probeDir, analyze.pid);
      const e = await heapAfterGc(probeDir, execute.pid);
      values.push(a.rss, a.heapUsed, e.rss, e.heapUsed, treeRss(execute.pid));
      for (const [i, v] of values.entries()) rssRows[i]?.samples.push(v);
    };
    await sampleMemory();
    const cpu = (): Record<string, number> => ({
      "executor (node alone)": cpuMs(execute.pid, false),
      "executor + fork-server tree": treeCpuMs(execute.pid),
      "analyze worker": treeCpuMs(analyze.pid),
      "bench (producer, client, polling)": (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      "redis-server": server.pid === null ? 0 : cpuMs(server.pid),
    });
    // write syscalls (write, writev: sockets and files) of each process, main thread and pool threads
    const writes = (): Record<string, number> => ({
      "executor (node alone)": writeCalls(execute.pid),
      "analyze worker": writeCalls(analyze.pid),
      "bench (producer, client, polling)": writeCalls(process.pid),
      "redis-server": server.pid === null ? 0 : writeCalls(server.pid),
    });
    const cpu0 = cpu();
    const writes0 = writes();
    const t0 = await traffic(redis);
    const poll0 = { calls: poller.calls, bytes: poller.bytes };
    const step = Math.ceil(RUNS / SAMPLES);
    for (let done = 0; done < RUNS; done += step) {
      completed += await runBatch(bench, poller, done, Math.min(step, RUNS - done));
      await sampleMemory();
      process.stdout.write(`  ${Math.min(done + step, RUNS)} runs (load ${loadAverage()})\n`);
    }
    const t1 = await traffic(redis);
    const cpu1 = cpu();
    const writes1 = writes();
    const pollCalls = poller.calls - poll0.calls;
    const pollBytes = poller.bytes - poll0.bytes;
    const memRuns = await usedMemory(redis);
    const familiesRuns = await keyFamilies(redis, bench.fx.prefix);
    const finished = RUNS + WARMUP;
    let pruned = 0;
    let threadsPruned = 0;
    const cleaned = { completed: 0, failed: 0, streamEntries: 0 };
    // The approver's sweep prunes the run index and removes the finished jobs of expired runs once
    // per period fleet-wide; this bench runs no approver, so it does the same after each wait.
    const fleet = bench.fleet;
    const sweep = async (): Promise<void> => {
      for (let n = -1; n !== 0; pruned += n) n = Math.max(0, await fleet.pruneRunIndex());
      threadsPruned += await fleet.pruneThreadIndex();
      for (let n = -1; n !== 0; ) {
        const pass = await fleet.cleanAgedJobs();
        n = pass.completed + pass.failed;
        cleaned.completed += pass.completed;
        cleaned.failed += pass.failed;
        cleaned.streamEntries += pass.streamEntries;
      }
    };
    let memOneRetention = Number.NaN;
    if (!NO_RETENTION) {
      process.stdout.write(`  waiting ${RETENTION_S + 10} s for retention, then sweeping\n`);
      await sleep((RETENTION_S + 10) * 1000);
      await sweep();
      memOneRetention = await usedMemory(redis);
      // removing a job appends a "removed" entry to its queue's event stream: the sweep one
      // retention later trims those, as a deployed approver's next sweeps do
      process.stdout.write(`  waiting ${RETENTION_S + 10} s more, then sweeping again\n`);
      await sleep((RETENTION_S + 10) * 1000);
      await sweep();
    }
    const memAfter = await usedMemory(redis);
    const partsAfter = await memoryParts(redis);
    const statsAfter = await commandStatsMemory(redis);
    const familiesAfter = await keyFamilies(redis, bench.fx.prefix);

    // back: no key of a run is left (a family with an id folded into `*`), and the fleet's fixed
    // keys hold at most 1 KB each (a queue's job-id counter, stalled-check set and emptied event
    // stream appear with its first job and stay, at a few hundred bytes each)
    const perRunLeft = familiesAfter.filter((f) => f.family.includes("*")).reduce((n, f) => n + f.keys, 0);
    const keysBack = perRunLeft === 0 && bytes(familiesAfter) <= 1024 * count(familiesAfter);
    const luaGrowth = (partsAfter["lua.caches"] ?? 0) - (partsBase["lua.caches"] ?? 0);
    const wallMs = t1.atMs - t0.atMs;
    // the bench's own status polling is counted exactly and left out
    const perRunBytes = (t1.bytes - t0.bytes - pollBytes) / RUNS;
    const idlePerRunBytes = (idleBytesPerMs * wallMs) / RUNS;
    const perRunCalls = (sum(t1.calls) - sum(t0.calls) - pollCalls) / RUNS;
    const idlePerRunCalls = (idleCallsPerMs * wallMs) / RUNS;
    const commands = commandsBetween(t0, t1, RUNS, { hget: pollCalls });
    const trafficTable = table(
      ["redis traffic", "KB per run", "commands per run", "vs idle fleet"],
      [
        ["idle fleet over the same time (baseline)", kb(idlePerRunBytes), fmt(idlePerRunCalls), "1.00x"],
        [`per finished run (${RUNS} runs, ${fmt(RUNS / (wallMs / 1000))} runs/s)`, kb(perRunBytes), fmt(perRunCalls), ratio(perRunBytes, idlePerRunBytes)],
        ["per finished run, idle traffic subtracted", kb(perRunBytes - idlePerRunBytes), fmt(perRunCalls - idlePerRunCalls), ""],
      ],
    );
    // runs finished more than the retention ago are gone already: divide by the run records still there
    const retainedRuns = familiesRuns.find((f) => f.family === "<p>:run:*")?.keys ?? 0;
    const retainedPerRun = retainedRuns > 0 ? (memRuns - memAfter) / retainedRuns : Number.NaN;
    const leftPerRun = (memAfter - memBase) / finished;
    const memTable = table(
      ["redis memory (used_memory)", "MB", "KB per run", "vs baseline"],
      [
        ["started idle fleet, before any run (baseline)", mb(memBase), "", "1.00x"],
        [`after ${finished} runs, ${retainedRuns} still retained (freed by retention, per retained run)`, mb(memRuns), kb(retainedPerRun), ratio(memRuns, memBase)],
        [`${RETENTION_S + 10} s later and a sweep, retention ${RETENTION_S} s (left above baseline, per finished run)`, mb(memOneRetention), kb((memOneRetention - memBase) / finished), ratio(memOneRetention, memBase)],
        [`${RETENTION_S + 10} s later and a second sweep (left above baseline, per finished run)`, mb(memAfter), kb(leftPerRun), ratio(memAfter, memBase)],
      ],
    );
    const familyTable = table(
      ["key family (ids folded)", "keys retained", "KB retained", "keys after retention", "KB after retention"],
      [
        ...familiesRuns
          .filter((f, i) => i < 10 || familiesAfter.some((a) => a.family === f.family))
          .map((f) => {
            const after = familiesAfter.find((a) => a.family === f.family);
            return [f.family, String(f.keys), kb(f.bytes), String(after?.keys ?? 0), kb(after?.bytes ?? 0)];
          }),
        ["all keys", String(count(familiesRuns)), kb(bytes(familiesRuns)), String(count(familiesAfter)), kb(bytes(familiesAfter))],
      ],
    );
    // bytes per run over all the samples (least squares): one allocator or heap step between two
    // samples moves end - start by megabytes, a leak moves every sample
    const slope = (r: { samples: number[] }) => trend(r.samples) / step;
    const rssTable = table(
      ["process memory", "after warm-up MB", `after ${RUNS} runs MB`, "max MB", "end - start MB", "trend KB per run", "end vs start"],
      rssRows.map((r) => {
        const first = r.samples[0]!;
        const last = r.samples[r.samples.length - 1]!;
        return [r.name, mb(first), mb(last), mb(Math.max(...r.samples)), mb(last - first), kb(slope(r)), ratio(last, first)];
      }),
    );
    // a leak grows what is live after a full GC; RSS at a random moment also holds the garbage V8
    // has not collected yet, which grows with the run rate until V8's heap limit settles
    const afterGc = rssRows.filter((r) => r.name.includes("after a full GC"));
    const worst = afterGc.reduce((w, r) => (slope(r) > slope(w) ? r : w));
    const rssVerdict = `target no RSS growth over ${RUNS} runs, judged on the trend after a full GC (${RSS_GROWTH_KB_PER_RUN} KB per run at most): ${slope(worst) <= RSS_GROWTH_KB_PER_RUN * 1024 ? "met" : "NOT met"} (largest: ${worst.name}, ${kb(slope(worst))} KB per run)`;
    const cpuRows = Object.keys(cpu0).map((name) => [name, fmt(((cpu1[name] ?? 0) - (cpu0[name] ?? 0)) / RUNS, 2)]);
    const cpuTotal = ["all (executor tree + analyze + bench + redis)", fmt(Object.keys(cpu0).filter((n) => n !== "executor (node alone)").reduce((t, n) => t + (cpu1[n] ?? 0) - (cpu0[n] ?? 0), 0) / RUNS, 2)];
    const writeCol = (name: string) => (name in writes0 ? fmt(((writes1[name] ?? 0) - (writes0[name] ?? 0)) / RUNS, 1) : "");
    const cpuTable = table(["process", "CPU ms per run", "write syscalls per run"], [...cpuRows.map((r) => [...r, writeCol(r[0]!)]), [...cpuTotal, ""]]);
    process.stdout.write(
      [
        "",
        `CPU per run over the ${RUNS} measured runs (load ${loadAverage()}):`,
        cpuTable,
        "",
        trafficTable,
        `bench status polling: ${fmt(pollCalls / RUNS)} HGET per run (left out of the traffic and commands above)`,
        `top commands per run: ${commands
          .slice(0, 10)
          .map(([c, n]) => `${c} ${fmt(n)}`)
          .join(", ")}`,
        ...(NO_RETENTION
          ? []
          : [
              "",
              memTable,
              `left above the baseline without Redis's command statistics (CONFIG RESETSTAT frees them; a fixed cost per command name called, ${kb(statsBase)} KB at the baseline, ${kb(statsAfter)} KB after): ${kb(memAfter - statsAfter - (memBase - statsBase))} KB`,
              `left above the baseline by part (MEMORY STATS, KB; keys.count in keys): ${Object.keys(partsBase)
                .map((p) => `${p} ${p === "keys.count" ? (partsAfter[p] ?? 0) - (partsBase[p] ?? 0) : kb((partsAfter[p] ?? 0) - (partsBase[p] ?? 0))}`)
                .join(", ")}`,
              "",
              familyTable,
              "",
              `target Redis <= 20 KB per finished run: ${retainedPerRun <= TARGET_BYTES_PER_RUN ? "met" : "NOT met"} (${kb(retainedPerRun)} KB per retained run); back to the baseline after retention: ${keysBack ? "yes" : "NO"}, ${perRunLeft} keys of runs left, the fleet's fixed keys ${count(familiesAfter)} (${kb(bytes(familiesAfter))} KB) against ${count(familiesBase)} (${kb(bytes(familiesBase))} KB) before the first run; used_memory ${kb(memAfter - memBase)} KB above the baseline: Redis's command statistics ${kb(statsAfter - statsBase)}, Lua's script cache ${kb(luaGrowth)}, the rest ${kb(memAfter - memBase - (statsAfter - statsBase) - luaGrowth)} (the first two are the server's, a fixed cost per command name and per script, not per run)`,
              `run index: ${pruned} expired ids pruned after the wait (Fleet.pruneRunIndex, as the approver's sweep does); checkpoints' thread index: ${threadsPruned} (Fleet.pruneThreadIndex, the same)`,
              `aged jobs: ${cleaned.completed} completed and ${cleaned.failed} failed jobs of expired runs removed, ${cleaned.streamEntries} stream entries older than the retention trimmed (Fleet.cleanAgedJobs, as the approver's sweep does)`,
            ]),
        "",
        rssTable,
        rssVerdict,
        `completed ${completed} of ${finished} runs`,
        "",
      ].join("\n"),
    );
    if (JSON_OUT)
      writeFileSync(
        JSON_OUT,
        JSON.stringify(
          { bench: "resources", runs: RUNS, wallMs, cpu: Object.fromEntries(cpuRows), idleBytesPerMs, perRunBytes, perRunCalls, commands, memBase, memRuns, memOneRetention, memAfter, familiesBase, partsBase, partsAfter, statsBase, statsAfter, retainedRuns, retainedPerRun, leftPerRun, pruned, cleaned, familiesRuns, familiesAfter, rss: rssRows, completed },
          null,
          2,
        ),
      );
    // a profile is written when the process exits on its own, not on the cleanup's SIGKILL
    if (CPU_PROF_DIR) await Promise.all([execute.stop("SIGTERM"), analyze.stop("SIGTERM")]);
    return completed === finished ? 0 : 1;
  } finally {
    await bench?.cleanup();
    redis.disconnect();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const count = (fs: Array<{ keys: number }>) => fs.reduce((n, f) => n + f.keys, 0);
const bytes = (fs: Array<{ bytes: number }>) => fs.reduce((n, f) => n + f.bytes, 0);

function sum(calls: Map<string, number>): number {
  let n = 0;
  for (const [cmd, c] of calls) if (cmd !== "info") n += c;
  return n;
}

/**
 * Signals `heap-probe.mjs` in process `pid` (SIGUSR2) and waits for the memory it writes right
 * after a full garbage collection. Throws when the probe does not answer in 10 s.
 */
async function heapAfterGc(probeDir: string, pid: number): Promise<{ rss: number; heapUsed: number }> {
  const file = join(probeDir, `${pid}.json`);
  const read = (): { seq: number; rss: number; heapUsed: number } | null => {
    try {
      return JSON.parse(readFileSync(file, "utf8")) as { seq: number; rss: number; heapUsed: number };
    } catch {
      return null;
    }
  };
  const before = read()?.seq ?? 0;
  process.kill(pid, "SIGUSR2");
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(10)) {
    const now = read();
    if (now && now.seq > before) return now;
  }
  throw new Error(`the heap probe in pid ${pid} did not answer SIGUSR2 in 10 s (is bench/resources/heap-probe.mjs preloaded?)`);
}

/** Least-squares slope of `ys` against their index (units of y per sample). */
function trend(ys: number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of ys.entries()) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

function treeRss(pid: number): number {
  return processTree(pid).reduce((total, p) => total + rss(p), 0);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`resources bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
