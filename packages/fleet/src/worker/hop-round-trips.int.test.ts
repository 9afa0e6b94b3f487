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

it("a finished run's last events and its stream's retention go out in one round trip", async () => {
  const { redis, roundTrips } = await slowRedis();
  const keys = new RedisKeys(fx!.prefix);
  const log = new RunEventLog(redis, keys, 100);
  const sink = new BatchingEventSink(log, systemClock, silentLogger());
  const trips = await roundTrips(async () => {
    void sink.emit({ runId: "r1", type: "status", stage: null, data: { status: "completed" } });
    void sink.emit({ runId: "r1", type: "finished", stage: null, data: { status: "completed" } });
    await sink.end("r1", 600);
  });
  expect(trips).toBe(1);
  expect((await log.read("r1")).map((e) => e.type)).toEqual(["status", "finished"]);
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
