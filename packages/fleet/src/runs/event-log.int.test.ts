import { RedisKeys } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterEach, describe, expect, it } from "vitest";
import { RunEventLog } from "./event-log.js";

/** Clients on the shared Redis named after this run's tail (see RunEventLog.tail). */
async function tailClients(fx: RedisFixture, runId: string): Promise<string[]> {
  const list = (await fx.redis.client("LIST")) as string;
  return list.split("\n").filter((line) => line.includes(` name=pyfleet-tail:${runId} `));
}

describe("RunEventLog.tail (XREAD BLOCK)", () => {
  let fx: RedisFixture;
  afterEach(async () => fx?.cleanup());

  it("yields stored events at once, then a new event as soon as it is appended (no poll interval)", async () => {
    fx = await createRedisFixture("evtail");
    const log = new RunEventLog(fx.redis, new RedisKeys(fx.prefix), 100);
    const runId = `t-${Date.now()}`;
    const firstId = await log.append({ runId, type: "status", data: { status: "queued" } }, new Date());
    await log.append({ runId, type: "status", data: { status: "generating" } }, new Date());
    const ac = new AbortController();
    const tail = log.tail(runId, firstId, { signal: ac.signal, blockMs: 10_000 });
    const stored = await tail.next();
    expect((stored.value as { data: { status: string } }[]).map((e) => e.data.status)).toEqual(["generating"]);

    const waiting = tail.next();
    await new Promise((r) => setTimeout(r, 300));
    expect(await tailClients(fx, runId)).toHaveLength(1);
    const appendedAt = performance.now();
    await log.append({ runId, type: "stdout", data: { text: "hi" } }, new Date());
    const next = await waiting;
    // a blocked XREAD wakes on the XADD: far sooner than the 10 s block
    expect(performance.now() - appendedAt).toBeLessThan(1000);
    expect((next.value as { type: string }[]).map((e) => e.type)).toEqual(["stdout"]);
    await tail.return(undefined);
    await expect.poll(() => tailClients(fx, runId)).toHaveLength(0);
  });

  it("yields an empty batch when nothing came within blockMs, and an abort ends a blocked wait and closes its connection", async () => {
    fx = await createRedisFixture("evtail");
    const log = new RunEventLog(fx.redis, new RedisKeys(fx.prefix), 100);
    const runId = `t-${Date.now()}-b`;
    const ac = new AbortController();
    const tail = log.tail(runId, "0", { signal: ac.signal, blockMs: 200 });
    expect((await tail.next()).value).toEqual([]); // nothing stored: answered without blocking
    expect((await tail.next()).value).toEqual([]); // nothing within 200 ms
    const blocked = tail.next();
    await new Promise((r) => setTimeout(r, 50));
    const abortedAt = performance.now();
    ac.abort();
    const end = await blocked;
    expect(end.done).toBe(true);
    expect(performance.now() - abortedAt).toBeLessThan(500);
    await expect.poll(() => tailClients(fx, runId)).toHaveLength(0);
  });
});
