import { silentLogger } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { startTestFleet, type TestFleet } from "@pyfleet/runtime/testing";
import { RedisServerFixture } from "@pyfleet/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProducer, startProducer } from "./main.js";

interface SseEvent {
  event: string;
  data: unknown;
  at: number;
}

/** Opens `GET /v1/runs/stream` and collects its events as they arrive. */
async function openRunsStream(url: string, signal: AbortSignal): Promise<SseEvent[]> {
  const res = await fetch(`${url}/v1/runs/stream`, { signal, headers: { accept: "text/event-stream" } });
  expect(res.status).toBe(200);
  const events: SseEvent[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buf += value;
      for (let end = buf.indexOf("\n\n"); end >= 0; end = buf.indexOf("\n\n")) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data), at: performance.now() });
      }
    }
  })();
  return events;
}

/** Commands the private Redis has processed so far. */
async function commandsProcessed(admin: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await admin.info("stats"))?.[1]);
}

describe("GET /v1/runs/stream follows the run-change stream (no polling of the run index)", () => {
  let server: RedisServerFixture;
  let admin: Redis;
  let t: TestFleet;
  let fleet: Fleet;
  let producer: RunningProducer;

  beforeAll(async () => {
    // a Redis of its own: its command counter sees this test's traffic only
    server = await RedisServerFixture.start({ aof: false });
    admin = new Redis(server.url);
    // no stages: submitted runs stay queued, so every change below is the test's own
    t = await startTestFleet({ tag: "rstream", redisUrl: server.url });
    ({ fleet } = t);
    producer = await startProducer({ config: t.config, logger: silentLogger(), fleet, port: 0 });
  }, 60_000);
  afterAll(async () => {
    await producer?.close();
    await t?.cleanup();
    admin?.disconnect();
    await server?.close();
  });

  it("shows a new run and its cancellation within moments, and costs Redis nothing while idle", async () => {
    const old = await fleet.submit({ user_query: "q", task_objective: "before the stream" });
    /** Commands Redis processed in 2 s, less the INFO that measured the start. */
    const twoSeconds = async () => {
      const before = await commandsProcessed(admin);
      await new Promise((r) => setTimeout(r, 2000));
      return (await commandsProcessed(admin)) - before - 1;
    };
    // what the fleet itself sends while idle (housekeeping), without any stream open
    const baseline = await twoSeconds();
    const ctl = new AbortController();
    try {
      const events = await openRunsStream(producer.url, ctl.signal);
      await expect.poll(() => events.map((e) => e.event), { timeout: 5000 }).toContain("snapshot");
      expect((events[0]!.data as { runs: Array<{ runId: string }> }).runs.map((r) => r.runId)).toEqual([old.runId]);

      // idle: a 250 ms poll of the index would cost several commands per second; a blocked XREAD costs none
      const idle = await twoSeconds();
      expect(idle - baseline, `Redis commands in 2 s of an idle open runs stream (${idle}) above the fleet's own (${baseline})`).toBeLessThanOrEqual(1);

      const t0 = performance.now();
      const run = await fleet.submit({ user_query: "q", task_objective: "while the stream is open" });
      await expect.poll(() => events.find((e) => e.event === "run" && (e.data as { runId: string }).runId === run.runId), { timeout: 5000, interval: 5 }).toBeDefined();
      const shown = events.find((e) => e.event === "run" && (e.data as { runId: string }).runId === run.runId)!;
      // a 250 ms poll needs 125 ms on average and up to 250 ms; pushed, it takes a few ms
      expect(shown.at - t0, "ms from submit to the run event").toBeLessThan(250);

      await fleet.cancel(run.runId);
      await expect
        .poll(() => events.filter((e) => e.event === "status" && (e.data as { runId: string; status: string }).runId === run.runId).map((e) => (e.data as { status: string }).status), { timeout: 5000, interval: 5 })
        .toContain("cancelled");
      const runEvents = events.filter((e) => e.event === "run" && (e.data as { runId: string }).runId === run.runId);
      expect(runEvents.at(-1)!.data).toMatchObject({ status: "cancelled" });
      // the old run never changed: nothing was sent for it after the snapshot
      expect(events.filter((e) => e.event !== "snapshot" && (e.data as { runId: string }).runId === old.runId)).toEqual([]);
    } finally {
      ctl.abort();
    }
  }, 60_000);

  it("ends its blocked reader's connection when the client goes away", async () => {
    const named = async () => String(await admin.client("LIST")).split("\n").filter((l: string) => l.includes("name=pyfleet-run-changes")).length;
    const ctl = new AbortController();
    const events = await openRunsStream(producer.url, ctl.signal);
    await expect.poll(() => events.length, { timeout: 5000 }).toBeGreaterThan(0);
    await expect.poll(named, { timeout: 5000 }).toBe(1);
    ctl.abort();
    await expect.poll(named, { timeout: 5000 }).toBe(0);
  }, 30_000);
});
