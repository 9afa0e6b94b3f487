/** The fast steps' differential test on the fleet's saver: what they store on Redis is what LangGraph stores there. */
import { PlainRedisSaver } from "@pyfleet/checkpointer";
import { RedisKeys } from "@pyfleet/core";
import type { RedisFixture } from "@pyfleet/testing";
import { redisTest } from "@pyfleet/testing/vitest";
import { describe, expect } from "vitest";
import { type EngineChoice, type TwinScenario, Twins } from "./testing/twins.js";

function twins(fx: RedisFixture, scenario: TwinScenario, choose?: EngineChoice) {
  const saver = (side: string) => new PlainRedisSaver(fx.connect(), { prefix: new RedisKeys(`${fx.prefix}-${side}`).checkpointPrefix });
  return new Twins([saver("fast"), saver("langgraph")], scenario, choose);
}

describe("fast steps store what LangGraph stores (PlainRedisSaver)", () => {
  redisTest("generated code with an analysis failure and a runtime error, then completed", async ({ redis: fx }) => {
    const t = twins(fx, { script: ["x = 1 # BLOCK", "raise ValueError() # RAISE"] });
    await t.start();
    expect(await t.drive()).toEqual(["generate", "analyze", "generate", "analyze", "execute", "generate", "analyze", "execute", "finalize"]);
    expect(t.engines.every((e) => e === "fast")).toBe(true);
  });

  redisTest("write mode: fast steps to the park, LangGraph's approve and resume, fast steps after it", async ({ redis: fx }) => {
    const t = twins(fx, { script: ["epics.caput('BEAM:SET', 1) # WRITE"] });
    await t.start();
    expect(await t.drive()).toEqual(["generate", "analyze", "preview", "approve", "execute", "finalize"]);
    expect(t.engines).toEqual(["fast", "fast", "fast", "fast", "langgraph", "fast", "fast"]);
  });

  redisTest("mixed engines, an infrastructure error and a stop before the checkpoint on one thread", async ({ redis: fx }) => {
    const t = twins(fx, { code: "results = {'x': 1}" }, (call) => (call % 2 === 0 ? "fast" : "langgraph"));
    await t.start();
    await t.step("analyze");
    t.tested.fakes.executors.executor.infraFailures = 1;
    t.reference.fakes.executors.executor.infraFailures = 1;
    expect(await t.step("execute")).toMatchObject({ error: { code: "KERNEL_DIED" } });
    await t.step("execute");
    t.tested.saver.failNextPut = true;
    t.reference.saver.failNextPut = true;
    expect(await t.step("finalize")).toMatchObject({ error: { message: "process stopped before the checkpoint was written" } });
    expect(await t.step("finalize")).toMatchObject({ error: { code: "STEP_NOT_PENDING" } });
    expect(t.tested.fakes.artifacts.finals).toHaveLength(1);
    expect(t.tested.fakes.executors.executor.calls).toHaveLength(2);
  });
});
