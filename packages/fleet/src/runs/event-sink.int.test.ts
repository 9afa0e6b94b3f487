import { RedisKeys, silentLogger, systemClock } from "@pyfleet/core";
import { redisTest } from "@pyfleet/testing/vitest";
import { describe, expect } from "vitest";
import { RunEventLog } from "./event-log.js";
import { BatchingEventSink } from "./event-sink.js";

describe("BatchingEventSink", () => {
  redisTest("merges code chunks into one event, keeps emission order, and renames finalize's finished to result", async ({ redis: fx }) => {
    const log = new RunEventLog(fx.redis, new RedisKeys(fx.prefix), 100);
    const sink = new BatchingEventSink(log, systemClock, silentLogger(), 1000);
    const runId = "r1";
    await sink.emit({ runId, type: "status", data: { status: "generating" } });
    for (const t of ["res", "ults = ", "{}"]) await sink.emit({ runId, type: "code_chunk", stage: "generate", data: { text: t } });
    await sink.emit({ runId, type: "code", stage: "generate", data: { code: "results = {}" } });
    await sink.emit({ runId, type: "finished", stage: "finalize", data: { status: "completed" } });
    await sink.flush();
    const events = await log.read(runId);
    expect(events.map((e) => e.type)).toEqual(["status", "code_chunk", "code", "result"]);
    expect(events[1]?.data.text).toBe("results = {}");
    expect(await log.read(runId, events[1]!.id!)).toHaveLength(2);
  });

  redisTest("trims the stream to about maxlen entries", async ({ redis: fx }) => {
    const log = new RunEventLog(fx.redis, new RedisKeys(fx.prefix), 10);
    for (let i = 0; i < 500; i++) await log.append({ runId: "r2", type: "stdout", data: { text: String(i) } }, new Date());
    expect(await fx.redis.xlen(new RedisKeys(fx.prefix).runEvents("r2"))).toBeLessThan(200);
  });
});
