import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type PyfleetConfig, silentLogger } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFleet } from "./create-fleet.js";
import type { Fleet } from "./fleet.js";
import { approveParked, testApprovalStore, testDecisionKeys } from "./testing/approvals.js";
import { testConfig, testEnv } from "./testing/test-config.js";
import { waitForStatus } from "./testing/wait-for.js";
import { realPipelineBuilder } from "./wire/real-pipeline.js";

const KEYS = testDecisionKeys();
const RUNS = 4;

/** Write code that logs when it starts and ends (wall clock, seconds) around a pause. */
const code = (i: number, log: string) =>
  [
    "import time, epics",
    `with open(${JSON.stringify(log)}, "a") as f: f.write("${i} start " + repr(time.time()) + "\\n")`,
    `epics.caput("CAP:W${i}", ${i})`,
    "time.sleep(0.6)",
    `with open(${JSON.stringify(log)}, "a") as f: f.write("${i} end " + repr(time.time()) + "\\n")`,
    `results = {"i": ${i}}`,
  ].join("\n");

describe("fleet-wide write cap (queues.write_fleet_concurrency)", () => {
  let fx: RedisFixture;
  let producer: Fleet;
  const executors: Fleet[] = [];
  let config: PyfleetConfig;
  let log: string;

  beforeAll(async () => {
    fx = await createRedisFixture("wcap");
    const env = testEnv(fx.prefix, { ...KEYS });
    config = testConfig(env);
    // Each executor would take two writes at once; only the fleet-wide cap of 1 keeps them apart.
    config.queues.execute_write_access.concurrency = 2;
    config.queues.write_fleet_concurrency = 1;
    config.analysis.rules = { ...config.analysis.rules, "file-write-outside": "allow" };
    log = join(env.PYFLEET_ARTIFACTS as string, "writes.log");
    writeFileSync(log, "");
    ({ fleet: producer } = await createFleet(config, { stages: ["analyze", "execute"], modes: ["read_only"], logger: silentLogger(), build: realPipelineBuilder(env) }));
    for (let i = 0; i < 2; i++) {
      const { fleet } = await createFleet(config, { stages: ["execute"], modes: ["write_access"], logger: silentLogger(), build: realPipelineBuilder(env) });
      executors.push(fleet);
    }
  }, 60_000);
  afterAll(async () => {
    for (const f of executors) await f.close();
    await producer?.close();
    await fx?.cleanup();
  });

  it("never runs two approved writes at once across two executors with room for two each", async () => {
    const { store } = testApprovalStore(producer, KEYS.PYFLEET_SIGNING_KEYS);
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { runId } = await producer.submit({ user_query: "q", task_objective: `write ${i}`, code: code(i, log), dry_run: true }, { requester: "carol" });
      ids.push(runId);
    }
    // Park all of them first, then release them together so they compete for the executors.
    await Promise.all(ids.map((id) => waitForStatus((r) => producer.get(r), id, "awaiting_approval")));
    for (const id of ids) await approveParked(producer, store, id);
    for (const id of ids) await waitForStatus((r) => producer.get(r), id, "completed", 60_000);

    const spans = new Map<number, { start?: number; end?: number }>();
    for (const line of readFileSync(log, "utf8").trim().split("\n")) {
      const [i, what, t] = line.split(" ");
      const span = spans.get(Number(i)) ?? {};
      span[what as "start" | "end"] = Number(t);
      spans.set(Number(i), span);
    }
    expect(spans.size).toBe(RUNS);
    const sorted = [...spans.values()].sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
    for (let k = 1; k < sorted.length; k++) {
      // the next write starts only after the previous one ended
      expect(sorted[k]!.start).toBeGreaterThanOrEqual(sorted[k - 1]!.end!);
    }
  }, 120_000);
});
