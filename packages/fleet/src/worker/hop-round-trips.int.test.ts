import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { loadConfig, PROJECT_ROOT, RedisKeys, silentLogger, systemClock } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture, testRunRecord } from "@pyfleet/testing";
import { Redis } from "ioredis";
import { afterEach, expect, it } from "vitest";
import type { FleetContext } from "../context.js";
import { Dispatcher } from "../queues/dispatcher.js";
import { stageJobId } from "../queues/job.js";
import { RunEventLog } from "../runs/event-log.js";
import { BatchingEventSink } from "../runs/event-sink.js";
import { RunStore } from "../runs/run-store.js";
import { RunDriver } from "./run-driver.js";

/** Every reply of Redis reaches the client this late: a command that waits for a reply is sent a round trip later. */
const DELAY_MS = 30;

let fx: RedisFixture | undefined;
const closers: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await fx?.cleanup();
  fx = undefined;
});

/**
 * A connection to the test Redis through a TCP proxy that holds every reply back for DELAY_MS
 * and notes, for each chunk of commands the client sends, how many replies it had received: a
 * call's round trips are the distinct counts among its sends (commands sent without waiting for
 * a reply share one).
 */
async function slowRedis(): Promise<{ redis: Redis; roundTrips: (f: () => Promise<unknown>) => Promise<number> }> {
  fx = await createRedisFixture("round-trips");
  const target = new URL(fx.url);
  const sockets = new Set<Socket>();
  let delivered = 0;
  const sends: number[] = [];
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on("error", () => {});
      s.on("close", () => (s === client ? upstream : client).destroy());
    }
    client.on("data", (d) => {
      sends.push(delivered);
      upstream.write(d);
    });
    upstream.on("data", (d) =>
      setTimeout(() => {
        delivered++;
        if (!client.destroyed) client.write(d);
      }, DELAY_MS),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  closers.push(() => {
    for (const s of sockets) s.destroy();
  });
  const { port } = server.address() as { port: number };
  const via = new URL(fx.url);
  via.hostname = "127.0.0.1";
  via.port = String(port);
  const redis = new Redis(via.toString(), { maxRetriesPerRequest: null });
  closers.push(() => redis.disconnect());
  await redis.ping();
  const roundTrips = async (f: () => Promise<unknown>) => {
    sends.length = 0;
    await f();
    return new Set(sends).size;
  };
  return { redis, roundTrips };
}

it("finishing a run sets the thread key's retention in the finish script's round trip", async () => {
  const { redis, roundTrips } = await slowRedis();
  const keys = new RedisKeys(fx!.prefix);
  const runs = new RunStore(redis, keys, 600);
  for (const id of ["warm", "r1"]) await runs.create(testRunRecord(id, { status: "executing" }));
  await runs.finish("warm", "completed", {}, new Date(), "warm"); // loads the script on the connection
  expect(await roundTrips(() => runs.finish("r1", "completed", {}, new Date(), "r1"))).toBe(1);
  expect(await fx!.redis.ttl(keys.threadRun("r1"))).toBeGreaterThan(0);
  expect(await fx!.redis.ttl(keys.run("r1"))).toBeGreaterThan(0);
  // a thread that is not the run's own is left alone, the run's own still gets its retention
  await runs.create(testRunRecord("r2", { status: "executing" }));
  await fx!.redis.set(keys.threadRun("other"), "x");
  await runs.finish("r2", "completed", {}, new Date(), "other");
  expect(await fx!.redis.ttl(keys.threadRun("other"))).toBe(-1);
  expect(await fx!.redis.ttl(keys.threadRun("r2"))).toBeGreaterThan(0);
});

it("a finished run's record, its last events and their stream's retention are one script, the events after the final record; a run that already ended gets none", async () => {
  const { redis, roundTrips } = await slowRedis();
  const keys = new RedisKeys(fx!.prefix);
  const runs = new RunStore(redis, keys, 600);
  const log = new RunEventLog(redis, keys, 100);
  for (const id of ["warm", "r1"]) await runs.create(testRunRecord(id, { status: "executing" }));
  await log.append({ runId: "r1", type: "status", stage: "execute", data: { status: "executing" } }, new Date());
  const end = (runId: string) => ({
    bodies: [
      log.entry({ runId, type: "status", stage: null, data: { status: "completed" } }, new Date()).body,
      log.entry({ runId, type: "finished", stage: null, data: { status: "completed", resultSummary: null, error: null } }, new Date()).body,
    ],
    maxLen: 100,
    ttlSeconds: 500,
  });
  await runs.finish("warm", "completed", {}, new Date(), "warm", end("warm")); // loads the script on the connection
  const sent = countCommands(redis);
  expect(await roundTrips(() => runs.finish("r1", "completed", {}, new Date(), "r1", end("r1")))).toBe(1);
  expect(sent).toEqual(["evalsha"]);
  expect((await log.read("r1")).map((e) => [e.type, e.data.status])).toEqual([
    ["status", "executing"],
    ["status", "completed"],
    ["finished", "completed"],
  ]);
  const ttl = await fx!.redis.ttl(keys.runEvents("r1"));
  expect(ttl).toBeGreaterThan(400);
  expect(ttl).toBeLessThanOrEqual(500);
  // the first final status wins: a second finish patches nothing and appends nothing
  expect(await runs.finish("r1", "failed", {}, new Date(), "r1", end("r1"))).toBeNull();
  expect(await log.read("r1")).toHaveLength(3);
  expect((await runs.get("r1"))?.status).toBe("completed");
});

it("the driver ends a run with the finish script carries its terminal status and finished events", async () => {
  const { redis } = await slowRedis();
  const keys = new RedisKeys(fx!.prefix);
  const config = loadConfig({ file: join(PROJECT_ROOT, "config.yml"), env: { REDIS_URL: fx!.url, PYFLEET_PREFIX: fx!.prefix }, onWarning: () => {} });
  const runs = new RunStore(redis, keys, 600);
  const events = new RunEventLog(redis, keys, 100);
  const sink = new BatchingEventSink(events, systemClock, silentLogger());
  const driver = new RunDriver({ runs, events, sink, config, clock: systemClock, logger: silentLogger(), expireThread: null } as unknown as FleetContext);
  for (const id of ["warm", "r1"]) await runs.create(testRunRecord(id, { status: "executing" }));
  await driver.finishFailed("warm", new Error("x")); // loads the script on the connection
  // an event emitted just before the end lands before the end's events
  void sink.emit({ runId: "r1", type: "stdout", stage: "execute", data: { text: "last" } });
  const sent = countCommands(redis);
  await driver.finishFailed("r1", new Error("boom"));
  // the earlier event, the finish script (its two events inside), and the thread key's retention
  // (no job here, so the thread was not known to the script); before: xadd, evalsha, expire, xadd, xadd, expire
  expect(sent).toEqual(["xadd", "evalsha", "expire"]);
  const stored = await events.read("r1");
  expect(stored.map((e) => [e.type, e.data.status ?? null])).toEqual([
    ["stdout", null],
    ["status", "failed"],
    ["finished", "failed"],
  ]);
  const record = await runs.get("r1");
  expect(stored.at(-1)?.data).toEqual({ status: "failed", resultSummary: record?.resultSummary ?? null, error: record?.error });
  expect(record?.error).toMatchObject({ message: "boom" });
  expect(await fx!.redis.ttl(keys.runEvents("r1"))).toBeGreaterThan(0);
});

/** Counts the commands `redis` sends (scripts and BullMQ's included), each as its name. */
function countCommands(redis: Redis): string[] {
  const sent: string[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
    sent.push(command.name);
    return (send as (...a: unknown[]) => unknown)(command, ...rest);
  }) as Redis["sendCommand"];
  return sent;
}

it.each([
  ["emitted through the sink", false],
  ["carried by the patch's script", true],
])("a hop's record patch, its queued event (%s) and the next stage's job add are one round trip, applied in that order", async (_, carried) => {
  const { redis, roundTrips } = await slowRedis();
  const keys = new RedisKeys(fx!.prefix);
  const config = loadConfig({ file: join(PROJECT_ROOT, "config.yml"), env: { REDIS_URL: fx!.url, PYFLEET_PREFIX: fx!.prefix }, onWarning: () => {} });
  const runs = new RunStore(redis, keys, 600);
  const events = new RunEventLog(redis, keys, 100);
  const sink = new BatchingEventSink(events, systemClock, silentLogger());
  const dispatcher = new Dispatcher(redis, keys.bullPrefix, config);
  closers.push(() => dispatcher.close());
  const driver = new RunDriver({ runs, events, sink, dispatcher, clock: systemClock, logger: silentLogger() } as unknown as FleetContext);
  const hop = (runId: string) => {
    const event = { runId, type: "status", stage: "execute", data: { status: "queued" } } as const;
    const job = { runId, threadId: runId, checkpointNs: "", node: "execute", step: 2, mode: "read_only" } as const;
    if (carried) return driver.dispatch(job, "queued", event);
    void sink.emit(event);
    return driver.dispatch(job, "queued");
  };
  for (const id of ["warm", "r1"]) await runs.create(testRunRecord(id, { status: "analyzing", stage: "analyze" }));
  await hop("warm"); // loads the scripts on the connection
  // the job is only ever seen after the record names it and the event is in the stream (an
  // atomic snapshot of the three, taken over and over on a connection of its own)
  const watcher = fx!.connect();
  const jobKey = `${keys.bullPrefix}:execute.read_only:${stageJobId("r1", 2, "execute")}`;
  let seen: unknown[] | null = null;
  let watching = true;
  const watch = (async () => {
    while (watching && seen === null) {
      const snap = (await watcher.multi().exists(jobKey).hget(keys.run("r1"), "pendingJob").xlen(keys.runEvents("r1")).exec()) ?? [];
      if (snap[0]?.[1] === 1) seen = snap.map(([, v]) => v);
    }
  })();
  const sent = countCommands(redis);
  const trips = await roundTrips(() => hop("r1"));
  await expect.poll(() => seen).not.toBeNull();
  watching = false;
  await watch;
  expect(trips).toBe(1);
  // the event carried by the patch's script is one command less: the script and the add
  expect(sent).toEqual(carried ? ["evalsha", "evalsha"] : ["evalsha", "xadd", "evalsha"]);
  expect(seen).toEqual([1, JSON.stringify({ queue: "execute.read_only", jobId: stageJobId("r1", 2, "execute") }), 1]);
  expect((await runs.get("r1"))?.status).toBe("queued");
  expect((await events.read("r1")).map((e) => [e.type, e.data.status])).toEqual([["status", "queued"]]);
});
