/**
 * The CPU floor of the fleet's transport: what a run costs when every stage does nothing but what
 * the fleet cannot skip — a BullMQ job per hop (enqueue, pick up, complete) and one checkpoint
 * `put` per hop on the plain Redis saver, in separate processes as in the resources bench (a
 * producer that enqueues and waits, an "analyze" worker, an "execute" worker), on a private
 * redis-server. No LangGraph, no run records, no events, no artifacts, no Python.
 *
 *   npx tsx bench/resources/floor.ts [--runs 2000] [--no-checkpoint]
 *
 * Prints the CPU each process used per run (`process.cpuUsage` of each, `/proc` for
 * redis-server) over the measured runs, the load average beside it. `--no-checkpoint` leaves the
 * `put` out, so BullMQ's share is measured alone. The workers use the fleet's job options
 * (attempts, backoff, removeOnComplete by count and age) and concurrency 8; the producer keeps 8
 * runs in flight and learns of completions from the second queue's events (one `XREAD` stream),
 * as a client waiting on the fleet would.
 */
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { PlainRedisSaver } from "@pyfleet/checkpointer";
import { RedisServerFixture } from "@pyfleet/testing";
import { type Job, Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import { fmt, loadAverage, table } from "../e2e/stats.js";
import { cpuMs } from "./redis-probe.js";

const argStr = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const RUNS = Number(argStr("--runs") ?? 2000);
const WARMUP = 200;
const IN_FLIGHT = 8;
const WITH_CHECKPOINT = !process.argv.includes("--no-checkpoint");
const PREFIX = "floor";
const JOB_OPTIONS = { attempts: 3, backoff: { type: "exponential", delay: 1000 }, removeOnComplete: { count: 1000, age: 60 }, removeOnFail: { count: 1000 } };

/** A checkpoint shaped like a trivial provided-code run after its analyze step (16 channels, ~1 KB of values). */
function runCheckpoint(runId: string, step: number) {
  const values: Record<string, unknown> = {
    runId,
    threadId: runId,
    checkpointNs: "",
    request: { user_query: "bench", task_objective: "floor bench", code: `results = {"i": ${step}}`, execution_method: "local" },
    executionMethod: "local",
    folderPath: `/tmp/runs/${runId}`,
    attempts: [{ number: 1, code: `results = {"i": ${step}}`, codeHash: "0".repeat(64), source: "provided", createdAt: new Date().toISOString(), analysis: { passed: true, severity: "info", findings: [], pv_writes: [], pv_reads: [], execution_mode: "read_only", needs_approval: false, reasoning: "", results_keys: [], analyzer_version: "1" } }],
    errorChain: [],
    generationFailures: 0,
    executionFailures: 0,
    needsApproval: false,
    approvalRequest: null,
    decision: null,
    route: "execute",
    ending: null,
    final: null,
  };
  const versions = Object.fromEntries(Object.keys(values).map((k) => [k, step + 1]));
  return { checkpoint: { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: versions }, versions };
}

/** A stage worker process: takes jobs from `from`, writes one checkpoint, enqueues on `to` (if any). */
async function stage(url: string, from: string, to: string | undefined): Promise<void> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const saver = new PlainRedisSaver(new Redis(url), { prefix: `${PREFIX}:cp` });
  const next = to ? new Queue(to, { connection, prefix: PREFIX, defaultJobOptions: JOB_OPTIONS }) : undefined;
  let step = 0;
  const worker = new Worker(
    from,
    async (job: Job<{ runId: string }>) => {
      if (WITH_CHECKPOINT) {
        const { checkpoint, versions } = runCheckpoint(job.data.runId, step++);
        await saver.put({ configurable: { thread_id: job.data.runId, checkpoint_ns: "" } }, checkpoint, { source: "loop", step, parents: {} }, versions);
      }
      await next?.add("hop", job.data, { jobId: `${job.data.runId}-${to}` });
    },
    { connection, prefix: PREFIX, concurrency: IN_FLIGHT },
  );
  await worker.waitUntilReady();
  process.on("message", (msg: string) => {
    if (msg === "cpu") process.send?.(cpuNow());
  });
  process.send?.("ready");
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function spawnStage(url: string, from: string, to?: string) {
  const child = fork(import.meta.filename, ["--stage", url, from, ...(to ? [to] : []), ...(WITH_CHECKPOINT ? [] : ["--no-checkpoint"])], { execArgv: ["--import", "tsx"] });
  const ready = new Promise<void>((resolve) => child.once("message", () => resolve()));
  const cpu = () => new Promise<number>((resolve) => {
    child.once("message", (ms) => resolve(Number(ms)));
    child.send("cpu");
  });
  return { child, ready, cpu };
}

async function main(): Promise<void> {
  const server = await RedisServerFixture.start({ aof: false });
  const connection = new Redis(server.url, { maxRetriesPerRequest: null });
  const first = new Queue("analyze", { connection, prefix: PREFIX, defaultJobOptions: JOB_OPTIONS });
  const events = new QueueEvents("execute", { connection: { url: server.url }, prefix: PREFIX });
  const analyze = spawnStage(server.url, "analyze", "execute");
  const execute = spawnStage(server.url, "execute");
  try {
    await Promise.all([analyze.ready, execute.ready, events.waitUntilReady()]);
    const waiting = new Map<string, () => void>();
    events.on("completed", ({ jobId }) => waiting.get(jobId.slice(0, jobId.lastIndexOf("-")))?.());
    const runOne = async () => {
      const runId = randomUUID();
      const done = new Promise<void>((resolve) => waiting.set(runId, resolve));
      await first.add("hop", { runId }, { jobId: `${runId}-analyze` });
      await done;
      waiting.delete(runId);
    };
    const batch = async (n: number) => {
      let left = n;
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        while (left-- > 0) await runOne();
      }));
    };
    await batch(WARMUP);
    const cpu = async () => ({
      producer: cpuNow(),
      analyze: await analyze.cpu(),
      execute: await execute.cpu(),
      redis: server.pid === null ? 0 : cpuMs(server.pid),
    });
    const c0 = await cpu();
    const t0 = performance.now();
    await batch(RUNS);
    const wallS = (performance.now() - t0) / 1000;
    const c1 = await cpu();
    const rows = (Object.keys(c0) as Array<keyof typeof c0>).map((k) => [k === "producer" ? "producer (enqueue + completion events)" : k === "redis" ? "redis-server" : `${k} worker`, fmt((c1[k] - c0[k]) / RUNS, 2)]);
    const total = (Object.keys(c0) as Array<keyof typeof c0>).reduce((t, k) => t + c1[k] - c0[k], 0) / RUNS;
    process.stdout.write(
      [
        `floor bench: ${RUNS} runs, 2 hops, ${WITH_CHECKPOINT ? "one checkpoint put per hop" : "no checkpoint"}, ${IN_FLIGHT} in flight, ${fmt(RUNS / wallS)} runs/s (load ${loadAverage()})`,
        table(["process", "CPU ms per run"], [...rows, ["all", fmt(total, 2)]]),
        `2 cores = 2000 ms of CPU per second: at most ${fmt(2000 / total)} runs/s on this floor`,
        "",
      ].join("\n"),
    );
  } finally {
    analyze.child.kill("SIGKILL");
    execute.child.kill("SIGKILL");
    await Promise.allSettled([events.close(), first.close()]);
    connection.disconnect();
    await server.close();
  }
}

if (process.argv[2] === "--stage") {
  void stage(process.argv[3] as string, process.argv[4] as string, process.argv[5]);
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`floor bench failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
