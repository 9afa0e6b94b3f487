/**
 * The floor under the fleet's one-at-a-time overhead on this machine: what one Redis round trip
 * costs, and what one BullMQ hop between two processes costs with nothing else in it (an empty
 * job added by one process and picked up by a worker in another, with the stage workers' options).
 * A run through the fleet takes two such hops (→analyze, →execute) plus its round trips.
 *
 *   npx tsx bench/e2e/floor.ts [--hops 200] [--concurrency 8]   (REDIS_URL, default redis://127.0.0.1:6379)
 *
 * The hop is measured both ways (this process → echo process → this process): add called →
 * processor entered in the other process, on one clock (`performance.timeOrigin + now()`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRedisFixture } from "@pyfleet/testing";
import { type Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { fmt, loadAverage, quantile, table } from "./stats.js";

const arg = (flag: string, fallback: number): number => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const HOPS = arg("--hops", 200);
const CONCURRENCY = arg("--concurrency", 8);
const now = () => performance.timeOrigin + performance.now();

/** The stage workers' options (packages/fleet StageWorkers, config.yml defaults). */
const workerOptions = (connection: Redis, prefix: string) => ({
  connection,
  prefix,
  concurrency: CONCURRENCY,
  maxStalledCount: 1,
  lockDuration: 30_000,
  stalledInterval: 30_000,
  autorun: false,
});
const jobOptions = { attempts: 3, backoff: { type: "exponential", delay: 500 }, removeOnComplete: { count: 1000, age: 3600 } };

/** The echo process: picks up `ping` jobs and adds a `pong` job at once, carrying when it picked it up. */
async function echo(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const pong = new Queue("pong", { connection: redis, prefix });
  const worker = new Worker(
    "ping",
    async (job: Job) => {
      const picked = now();
      await pong.add("pong", { picked, added: now() }, { ...jobOptions, jobId: `pong-${job.id}` });
    },
    workerOptions(redis, prefix),
  );
  void worker.run();
  await worker.waitUntilReady();
  process.stdout.write("ready\n");
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

async function rtt(redis: Redis, n: number): Promise<{ ping: number; script: number }> {
  const sha = (await redis.script("LOAD", "return 1")) as string;
  const ping: number[] = [];
  const script: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    await redis.ping();
    ping.push(performance.now() - t);
    t = performance.now();
    await redis.evalsha(sha, 0);
    script.push(performance.now() - t);
  }
  return { ping: quantile(ping, 0.5), script: quantile(script, 0.5) };
}

async function main(): Promise<void> {
  const fx = await createRedisFixture("bench-floor");
  const prefix = `${fx.prefix}:bull`;
  let child: ChildProcess | undefined;
  const load0 = loadAverage();
  try {
    const self = fileURLToPath(import.meta.url);
    child = spawn(process.execPath, ["--import", "tsx", self, "--echo", fx.url, prefix, "--concurrency", String(CONCURRENCY)], { stdio: ["pipe", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child?.stdout?.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
      child?.once("exit", (code) => reject(new Error(`echo process exited with ${code}`)));
    });
    const { ping, script } = await rtt(fx.redis, 500);
    const ping2 = new Queue("ping", { connection: fx.redis, prefix });
    const waiters = new Map<string, (at: { picked: number; added: number; back: number }) => void>();
    const back = new Worker(
      "pong",
      async (job: Job) => {
        const back = now();
        waiters.get(String(job.id))?.({ ...(job.data as { picked: number; added: number }), back });
      },
      workerOptions(fx.connect(), prefix),
    );
    void back.run();
    await back.waitUntilReady();
    const there: number[] = [];
    const home: number[] = [];
    for (let i = -10; i < HOPS; i++) {
      const id = `h${i}`;
      const done = new Promise<{ picked: number; added: number; back: number }>((r) => waiters.set(`pong-${id}`, r));
      const t0 = now();
      await ping2.add("ping", {}, { ...jobOptions, jobId: id });
      const at = await done;
      if (i >= 0) {
        there.push(at.picked - t0);
        home.push(at.back - at.added);
      }
      // one at a time with a pause, as the e2e bench's runs arrive
      await new Promise((r) => setTimeout(r, 5));
    }
    await back.close();
    await ping2.close();
    const rows = [
      ["Redis round trip: PING (ioredis, sequential)", fmt(ping, 3), "", ""],
      ["Redis round trip: EVALSHA 'return 1'", fmt(script, 3), "", ""],
      [`BullMQ hop, empty job, bench → echo process (concurrency ${CONCURRENCY})`, fmt(quantile(there, 0.5), 2), fmt(quantile(there, 0.9), 2), fmt(quantile(there, 0.99), 2)],
      [`BullMQ hop, empty job, echo → bench process (concurrency ${CONCURRENCY})`, fmt(quantile(home, 0.5), 2), fmt(quantile(home, 0.9), 2), fmt(quantile(home, 0.99), 2)],
    ];
    process.stdout.write(`\n${table(["what", "p50 ms", "p90 ms", "p99 ms"], rows)}\n\n${HOPS} hops each way; load average ${load0} → ${loadAverage()}\n`);
  } finally {
    child?.stdin?.end();
    child?.kill();
    await fx.cleanup();
  }
}

if (process.argv[2] === "--echo") {
  void echo(process.argv[3] as string, process.argv[4] as string);
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`floor bench failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
