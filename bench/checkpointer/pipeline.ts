/**
 * The pipeline alone: what the LangGraph step machinery and the Redis saver cost per run, without
 * BullMQ, run records, events, artifacts or Python. Each run is a trivial provided-code run driven
 * as the fleet drives it (`startRun`, then the analyze, execute and finalize steps with `expected`
 * and `onStart`, then `retireThread`), on a private redis-server, with the port fakes of
 * @pyfleet/testing.
 *
 *   npx tsx bench/checkpointer/pipeline.ts [--runs 1000] [--in-flight 8] [--langgraph]
 *
 * Prints, per measured run: this process's CPU (`process.cpuUsage`), redis-server's CPU
 * (`/proc`), the commands this process sent to Redis and the bytes on the wire (`INFO`), and the
 * load average. Warm-up runs (10 %) are left out. With `--in-flight 1` it also prints the CPU of
 * each call (startRun, each step, the retire): one run at a time, nothing else runs in between.
 * `--langgraph` runs every step through LangGraph's invoke (the pipeline's `fastSteps: false`).
 */
import type { PipelineDeps, RunRef } from "@pyfleet/workflow";
import { createPipeline } from "@pyfleet/workflow";
import { PlainRedisSaver } from "@pyfleet/checkpointer";
import { RedisKeys, silentLogger } from "@pyfleet/core";
import { FakeAnalyzer, FakeArtifacts, FakeEvents, FakeExecutors, FakeGenerator, FakeGuard, FakeVerifier, makeRequest, RedisServerFixture } from "@pyfleet/testing";
import { Redis } from "ioredis";
import { fmt, loadAverage, table } from "../e2e/stats.js";
import { cpuMs, traffic } from "../resources/redis-probe.js";
import { countCommands } from "./measure.js";

const argStr = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const RUNS = Number(argStr("--runs") ?? 1000);
const IN_FLIGHT = Number(argStr("--in-flight") ?? 8);
const WARMUP = Math.ceil(RUNS / 10);
const FAST_STEPS = !process.argv.includes("--langgraph");

function deps(): PipelineDeps {
  return {
    generator: new FakeGenerator(),
    analyzer: new FakeAnalyzer(),
    executors: new FakeExecutors(),
    artifacts: new FakeArtifacts(),
    approvalVerifier: new FakeVerifier(),
    executionGuard: new FakeGuard(),
    events: new FakeEvents(),
    clock: { now: () => new Date() },
    logger: silentLogger(),
    budgets: { maxGenerationRetries: 2, maxExecutionRetries: 2 },
    defaultExecutionMethod: "local",
    executionTimeoutMs: 5000,
  };
}

async function main(): Promise<void> {
  const server = await RedisServerFixture.start({ aof: false });
  const redis = new Redis(server.url);
  const admin = new Redis(server.url);
  const saver = new PlainRedisSaver(redis, { prefix: new RedisKeys("pipebench").checkpointPrefix });
  const pipeline = createPipeline(deps(), saver, { fastSteps: FAST_STEPS });
  const sent = countCommands(redis);
  let n = 0;
  // CPU ms per call kind; only meaningful one run at a time (--in-flight 1)
  const perCall = new Map<string, number>();
  let measuring = false;
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };

  async function oneRun(i: number): Promise<void> {
    const runId = `r${i}-${process.pid}`;
    let t = cpuNow();
    const mark = (call: string) => {
      const now = cpuNow();
      if (measuring) perCall.set(call, (perCall.get(call) ?? 0) + now - t);
      t = now;
    };
    const started = await pipeline.startRun({ runId, request: makeRequest({ code: `results = {"i": ${i}}` }), threadId: `run-${runId}`, checkpointNs: "" });
    mark("startRun");
    const ref: RunRef = started.ref;
    for (const expected of ["analyze", "execute", "finalize"] as const) {
      const result = await pipeline.step(ref, { expected, onStart: async () => {} });
      if (result.ran !== expected) throw new Error(`run ${runId}: ran ${result.ran}, expected ${expected}`);
      mark(expected);
    }
    await saver.retireThread(`run-${runId}`, 60);
    mark("retire");
  }

  async function batch(count: number): Promise<void> {
    const workers = Array.from({ length: IN_FLIGHT }, async () => {
      while (count > 0) {
        count -= 1;
        await oneRun(n++);
      }
    });
    await Promise.all(workers);
  }

  await batch(WARMUP);
  const pid = server.pid ?? 0;
  sent.reset();
  measuring = true;
  const before = { cpu: process.cpuUsage(), redis: cpuMs(pid), traffic: await traffic(admin), load: loadAverage() };
  await batch(RUNS);
  const after = { cpu: process.cpuUsage(before.cpu), redis: cpuMs(pid), traffic: await traffic(admin), load: loadAverage() };
  const own = (after.cpu.user + after.cpu.system) / 1000;
  const commands = [...sent.counts.entries()].sort((a, b) => b[1] - a[1]).map(([name, c]) => `${name} ${fmt(c / RUNS, 2)}`);
  console.log(
    table(
      ["per run", "value"],
      [
        ["pipeline process CPU ms", fmt(own / RUNS, 3)],
        ["redis-server CPU ms", fmt((after.redis - before.redis) / RUNS, 3)],
        ["commands sent", fmt(sent.total() / RUNS, 2)],
        ["KB on the wire", fmt((after.traffic.bytes - before.traffic.bytes) / RUNS / 1024, 2)],
      ],
    ),
  );
  console.log(`commands: ${commands.join(", ")}`);
  if (IN_FLIGHT === 1) console.log(`CPU ms per call: ${[...perCall].map(([call, ms]) => `${call} ${fmt(ms / RUNS, 3)}`).join(", ")}`);
  console.log(`${FAST_STEPS ? "fast steps" : "LangGraph steps"}; runs ${RUNS} (+${WARMUP} warm-up), ${IN_FLIGHT} in flight; load ${before.load} -> ${after.load}`);
  redis.disconnect();
  admin.disconnect();
  await server.close();
}

await main();
