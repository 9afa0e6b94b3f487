import { MemorySaver } from "@langchain/langgraph";
import { PyfleetError } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { type EngineChoice, type TwinScenario, Twins } from "./testing/twins.js";

function twins(scenario: TwinScenario, choose?: EngineChoice) {
  return new Twins([new MemorySaver(), new MemorySaver()], scenario, choose);
}

/** The pipeline tests' routes; each is driven on a fast side and a LangGraph side and compared after every call. */
const ROUTES: Array<[string, TwinScenario, string[]]> = [
  ["provided code", { code: "results = {'x': 1}" }, ["analyze", "execute", "finalize"]],
  ["generated code", {}, ["generate", "analyze", "execute", "finalize"]],
  ["analysis failure, then a new attempt", { script: ["x = 1 # BLOCK"] }, ["generate", "analyze", "generate", "analyze", "execute", "finalize"]],
  ["generation without usable code", { script: [new PyfleetError("NO_CODE_IN_REPLY", "no code in the reply")] }, ["generate", "generate", "analyze", "execute", "finalize"]],
  ["runtime error, regenerated", { script: ["raise ValueError() # RAISE"] }, ["generate", "analyze", "execute", "generate", "analyze", "execute", "finalize"]],
  ["policy violation ends the run", { code: "x = 1 # POLICY" }, ["analyze", "execute", "finalize"]],
  ["read-only approval", { script: ["x = 1 # APPROVE"] }, ["generate", "analyze", "approve", "execute", "finalize"]],
  ["write mode: preview, park, resume", { script: ["epics.caput('BEAM:SET', 1) # WRITE"] }, ["generate", "analyze", "preview", "approve", "execute", "finalize"]],
  ["generation budget spent", { script: ["a # BLOCK", "b # BLOCK", "c # BLOCK"], budgets: { maxGenerationRetries: 1 } }, ["generate", "analyze", "generate", "analyze", "finalize"]],
  ["execution budget spent", { script: ["a # RAISE", "b # RAISE", "c # RAISE"], budgets: { maxExecutionRetries: 1 } }, ["generate", "analyze", "execute", "generate", "analyze", "execute", "finalize"]],
];

describe("fast steps store what LangGraph stores (MemorySaver)", () => {
  it.each(ROUTES)("%s", async (_name, scenario, route) => {
    const t = twins(scenario);
    await t.start();
    expect(await t.drive()).toEqual(route);
    // startRun's checkpoint and every step were the fast path's, except approve (parked, then resumed)
    const expected = ["fast", ...route.map((node) => (node === "approve" ? "langgraph" : "fast"))];
    expect(t.engines).toEqual(expected);
  });

  it("a node's infrastructure error: the same error write, the run stays at the node, and LangGraph's retry continues it", async () => {
    const t = twins({ code: "results = {'x': 1}" });
    await t.start();
    await t.step("analyze");
    t.tested.fakes.executors.executor.infraFailures = 1;
    t.reference.fakes.executors.executor.infraFailures = 1;
    const failed = await t.step("execute");
    expect(failed).toMatchObject({ error: { code: "KERNEL_DIED" } });
    // the error write is pending on the checkpoint: LangGraph runs the retry, then the fast path the rest
    expect(await t.drive()).toEqual(["execute", "finalize"]);
    expect(t.engines).toEqual(["fast", "fast", "langgraph", "fast"]);
    expect(t.tested.fakes.executors.executor.calls).toHaveLength(2);
  });

  it("mixed: LangGraph's startRun, then fast and LangGraph steps in turn continue one thread as LangGraph alone does", async () => {
    const t = twins({ script: ["x = 1 # BLOCK"] }, (call) => (call % 2 === 0 ? "langgraph" : "fast"));
    await t.start();
    expect(await t.drive()).toEqual(["generate", "analyze", "generate", "analyze", "execute", "finalize"]);
    expect(t.engines).toEqual(["langgraph", "fast", "langgraph", "fast", "langgraph", "fast", "langgraph"]);
  });

  it("refuses a node that is not pending as LangGraph does, storing nothing", async () => {
    const t = twins({ code: "results = {'x': 1}" });
    await t.start();
    expect(await t.step("execute")).toMatchObject({ error: { code: "STEP_NOT_PENDING" } });
    expect(t.engines).toEqual(["fast"]);
    await t.drive();
    expect(await t.step("finalize")).toMatchObject({ error: { code: "STEP_NOT_PENDING" } });
    expect(await t.step()).toMatchObject({ ok: { ran: null, next: null, status: "completed" } });
  });

  it.each(["analyze", "execute", "finalize"] as const)(
    "a fast %s step stopped between its writes and its checkpoint: LangGraph's settle applies the writes without running the node again",
    async (node) => {
      const t = twins({ code: "results = {'x': 1}" });
      await t.start();
      const order = ["analyze", "execute", "finalize"] as const;
      for (const before of order.slice(0, order.indexOf(node))) await t.step(before);
      const calls = () => [t.tested.fakes.analyzer.calls.length, t.tested.fakes.executors.executor.calls.length, t.tested.fakes.artifacts.finals.length];
      t.tested.saver.failNextPut = true;
      t.reference.saver.failNextPut = true;
      expect(await t.step(node)).toMatchObject({ error: { message: "process stopped before the checkpoint was written" } });
      const ran = calls();
      // the redelivered job finds the step done (settled by LangGraph): refused, the node not run again
      expect(await t.step(node)).toMatchObject({ error: { code: "STEP_NOT_PENDING" } });
      expect(calls()).toEqual(ran);
      await t.drive();
      expect(t.tested.fakes.executors.executor.calls).toHaveLength(1);
      expect(t.engines.filter((e) => e === "fast").length).toBeGreaterThan(0);
    },
  );
});
