import { MemorySaver } from "@langchain/langgraph";
import { codeHash, PyfleetError } from "@pyfleet/core";
import { beforeAll, describe, expect, it } from "vitest";
import { makeRequest } from "@pyfleet/testing";
import { createPipeline, type PipelineOptions } from "./pipeline.js";
import { STEP_ENGINES } from "./testing/engines.js";
import type { PipelineBudgets } from "./pipeline-types.js";
import { drive } from "./testing/drive.js";
import { fakeDeps } from "./testing/fakes.js";

/** The engine of the describe block running (set before its tests). */
let options: PipelineOptions = {};

let seq = 0;
function setup(opts: { script?: Array<string | Error>; budgets?: Partial<PipelineBudgets> } = {}) {
  const { deps, fakes } = fakeDeps(opts);
  const pipeline = createPipeline(deps, new MemorySaver(), options);
  const runId = `run-${++seq}`;
  return { pipeline, fakes, runId };
}

describe.each(STEP_ENGINES)("$engine", ({ fastSteps }) => {
  beforeAll(() => {
    options = { fastSteps };
  });

  describe("routes without approval", () => {
    it("generates, analyses, executes and finalizes a request without code", async () => {
      const { pipeline, fakes, runId } = setup();
      const started = await pipeline.startRun({ runId, request: makeRequest() });
      expect(started).toMatchObject({ next: "generate", status: "generating", ref: { threadId: runId, checkpointNs: "" } });
      expect(fakes.generator.calls).toHaveLength(0);

      const { ran, last } = await drive(pipeline, started.ref);
      expect(ran).toEqual(["generate", "analyze", "execute", "finalize"]);
      expect(last.status).toBe("completed");
      expect(last.final).toMatchObject({ status: "completed", attempts: 1, reason: null, code: 'results = {"value": 1}' });
      expect(last.final?.result).toMatchObject({ results: { value: 1 }, execution_time: 1.5, folder_path: `/runs/${runId}` });
      expect(fakes.artifacts.inits).toEqual([runId]);
      expect(fakes.generator.calls[0]?.attemptDir).toBe(`/runs/${runId}/attempts/01`);
      expect(fakes.events.ofType(runId, "code_chunk").map((e) => e.data)).toEqual([{ text: "resu" }, { text: "", restart: true }, { text: "results = " }]);
      expect(fakes.events.ofType(runId, "stdout")).toHaveLength(1);
      expect(fakes.events.ofType(runId, "finished")[0]?.data).toMatchObject({ status: "completed" });
      const run = await pipeline.getRun(started.ref);
      expect(run?.state.attempts[0]).toMatchObject({ source: "generated", codeHash: codeHash('results = {"value": 1}') });
      expect(run?.state.attempts[0]?.usage?.model).toBe("fake");
      expect(JSON.parse(JSON.stringify(run?.state))).toEqual(run?.state);
    });

    it("hands the generated attempt's LLM usage back with the generate step only", async () => {
      const { pipeline, runId } = setup();
      const started = await pipeline.startRun({ runId, request: makeRequest() });
      const generated = await pipeline.step(started.ref, { expected: "generate" });
      expect(generated.usage?.model).toBe("fake");
      expect((await pipeline.step(started.ref, { expected: "analyze" })).usage).toBeUndefined();
    });

    it("starts a request with provided code at analyze and never calls the generator", async () => {
      const { pipeline, fakes, runId } = setup();
      const started = await pipeline.startRun({ runId, request: makeRequest({ code: "results = {'a': 1}" }) });
      expect(started.next).toBe("analyze");
      expect(started.status).toBe("analyzing");
      const { ran, last } = await drive(pipeline, started.ref);
      expect(ran).toEqual(["analyze", "execute", "finalize"]);
      expect(last.final?.status).toBe("completed");
      expect(fakes.generator.calls).toHaveLength(0);
      expect((await pipeline.getRun(started.ref))?.state.attempts[0]?.source).toBe("provided");
    });

    it("uses the per-request execution method over the request field and the default", async () => {
      const { pipeline, fakes, runId } = setup();
      const request = makeRequest({ code: "x = 1", execution_method: "container" });
      const started = await pipeline.startRun({ runId, request, executionMethod: "docker" });
      await drive(pipeline, started.ref);
      expect(fakes.executors.requested).toEqual([{ method: "docker", mode: "read_only" }]);
    });
  });

  describe("analysis failures", () => {
    it("feeds a failed analysis back to generate with findings and the failed code", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["import os # BLOCK"] });
      const started = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, last } = await drive(pipeline, started.ref);
      expect(ran).toEqual(["generate", "analyze", "generate", "analyze", "execute", "finalize"]);
      expect(last.final?.status).toBe("completed");
      const second = fakes.generator.calls[1];
      expect(second?.attempt).toBe(2);
      expect(second?.errorChain).toHaveLength(1);
      expect(second?.errorChain[0]).toMatchObject({ stage: "analyze", code: "ANALYSIS_BLOCKED", failedCode: "import os # BLOCK", attempt: 1 });
      expect(second?.errorChain[0]?.findings).toHaveLength(1);
      expect(fakes.artifacts.attemptSaves.map((s) => s.stage)).toEqual(["static_analysis_failed"]);
      const run = await pipeline.getRun(started.ref);
      expect(run?.state.attempts.map((a) => a.source)).toEqual(["generated", "regenerated-after-feedback"]);
      expect(run?.state.generationFailures).toBe(1);
    });

    it("saves a syntax_error notebook for a parse failure", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["def ( # SYNTAX"] });
      const started = await pipeline.startRun({ runId, request: makeRequest() });
      await drive(pipeline, started.ref);
      expect(fakes.artifacts.attemptSaves[0]?.stage).toBe("syntax_error");
      expect(fakes.generator.calls[1]?.errorChain[0]?.code).toBe("SYNTAX_ERROR");
    });

    it("fails once the generation budget is spent on analysis failures", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["a # BLOCK", "b # BLOCK", "c # BLOCK", "d"], budgets: { maxGenerationRetries: 2 } });
      const started = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, last } = await drive(pipeline, started.ref);
      expect(ran.filter((n) => n === "analyze")).toHaveLength(3);
      expect(ran.at(-1)).toBe("finalize");
      expect(last.final).toMatchObject({ status: "failed", attempts: 3, result: null, code: "c # BLOCK" });
      expect(last.final?.reason).toContain("analysis failed after 3 attempt(s)");
      expect(fakes.executors.executor.calls).toHaveLength(0);
      expect(fakes.artifacts.finals[0]?.status).toBe("failed");
    });

    it("caps both budgets with the request's retries", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["a # BLOCK"], budgets: { maxGenerationRetries: 5 } });
      const started = await pipeline.startRun({ runId, request: makeRequest({ retries: 0 }) });
      const { ran, last } = await drive(pipeline, started.ref);
      expect(ran).toEqual(["generate", "analyze", "finalize"]);
      expect(last.final?.status).toBe("failed");
      expect(fakes.generator.calls).toHaveLength(1);
    });

    it("caps the execution budget with the request's retries too (runtime errors stop regenerating)", async () => {
      const { pipeline, fakes, runId } = setup({
        script: ["a # RAISE", "b # RAISE", "c # RAISE", "d"],
        budgets: { maxGenerationRetries: 5, maxExecutionRetries: 5 },
      });
      const started = await pipeline.startRun({ runId, request: makeRequest({ retries: 1 }) });
      const { ran, last } = await drive(pipeline, started.ref);
      expect(ran).toEqual(["generate", "analyze", "execute", "generate", "analyze", "execute", "finalize"]);
      expect(last.final?.status).toBe("failed");
      expect(last.final?.reason).toContain("execution failed after 2 attempt(s)");
      expect(fakes.executors.executor.calls).toHaveLength(2);
      expect(fakes.generator.calls).toHaveLength(2);
    });

    it("regenerates provided code that fails analysis when it asks for retries, but fails at once with the default of 0", async () => {
      const retry = setup();
      const s1 = await retry.pipeline.startRun({ runId: retry.runId, request: makeRequest({ code: "exec('x') # BLOCK", retries: 3 }) });
      const r1 = await drive(retry.pipeline, s1.ref);
      expect(r1.ran).toEqual(["analyze", "generate", "analyze", "execute", "finalize"]);
      expect(retry.fakes.generator.calls[0]?.errorChain[0]?.failedCode).toBe("exec('x') # BLOCK");

      const none = setup();
      const s2 = await none.pipeline.startRun({ runId: none.runId, request: makeRequest({ code: "exec('x') # BLOCK" }) });
      const r2 = await drive(none.pipeline, s2.ref);
      expect(r2.ran).toEqual(["analyze", "finalize"]);
      expect(r2.last.final?.status).toBe("failed");
      expect(none.fakes.generator.calls).toHaveLength(0);
    });
  });

  describe("generation failures", () => {
    it("never re-analyses or re-executes old code after a failed generation", async () => {
      const noCode = new PyfleetError("NO_CODE_IN_REPLY", "the reply held no code block");
      const { pipeline, fakes, runId } = setup({ script: ["old = 1 # RAISE", noCode, "new = 2"] });
      const started = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, last } = await drive(pipeline, started.ref);
      expect(ran).toEqual(["generate", "analyze", "execute", "generate", "generate", "analyze", "execute", "finalize"]);
      expect(fakes.analyzer.calls.map((c) => c.code)).toEqual(["old = 1 # RAISE", "new = 2"]);
      expect(fakes.executors.executor.calls.map((c) => c.code)).toEqual(["old = 1 # RAISE", "new = 2"]);
      expect(last.final).toMatchObject({ status: "completed", attempts: 3, code: "new = 2" });
      const run = await pipeline.getRun(started.ref);
      expect(run?.state.attempts[1]).toMatchObject({ number: 2, code: "", codeHash: "" });
      expect(run?.state.errorChain.map((e) => e.code)).toEqual(["RUNTIME_ERROR", "NO_CODE_IN_REPLY"]);
    });

    it("fails with no code once generation failures exhaust the budget", async () => {
      const err = () => new PyfleetError("REPLY_TRUNCATED", "the reply was cut off");
      const { pipeline, fakes, runId } = setup({ script: [err(), err()], budgets: { maxGenerationRetries: 1 } });
      const started = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, last } = await drive(pipeline, started.ref);
      expect(ran).toEqual(["generate", "generate", "finalize"]);
      expect(last.final).toMatchObject({ status: "failed", code: null, attempts: 2, result: null });
      expect(fakes.analyzer.calls).toHaveLength(0);
      expect(fakes.events.ofType(runId, "error").map((e) => e.data.code)).toEqual(["REPLY_TRUNCATED", "REPLY_TRUNCATED"]);
    });

    it("throws infrastructure errors out of generate and stays at generate", async () => {
      const { pipeline, fakes, runId } = setup({ script: [new PyfleetError("LLM_UNAVAILABLE", "model down")] });
      const started = await pipeline.startRun({ runId, request: makeRequest() });
      await expect(pipeline.step(started.ref)).rejects.toMatchObject({ code: "LLM_UNAVAILABLE" });
      const run = await pipeline.getRun(started.ref);
      expect(run?.next).toBe("generate");
      expect(run?.state.errorChain).toHaveLength(0);
      const after = await pipeline.step(started.ref, { expected: "generate" });
      expect(after).toMatchObject({ ran: "generate", next: "analyze" });
      expect(fakes.generator.calls.map((c) => c.attempt)).toEqual([1, 1]);
    });
  });
});
