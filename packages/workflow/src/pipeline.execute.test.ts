import { MemorySaver } from "@langchain/langgraph";
import { beforeAll, describe, expect, it } from "vitest";
import { makeRequest } from "@pyfleet/testing";
import { TRACEBACK_LIMIT } from "./error-chain.js";
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
  return { pipeline: createPipeline(deps, new MemorySaver(), options), fakes, runId: `exec-${++seq}` };
}

describe.each(STEP_ENGINES)("$engine", ({ fastSteps }) => {
  beforeAll(() => {
    options = { fastSteps };
  });

  describe("execution routes", () => {
    it("regenerates after a runtime error with a trimmed traceback as feedback", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["1/0 # RAISE"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, last } = await drive(pipeline, ref);
      expect(ran).toEqual(["generate", "analyze", "execute", "generate", "analyze", "execute", "finalize"]);
      expect(last.final?.status).toBe("completed");
      const feedback = fakes.generator.calls[1]?.errorChain[0];
      expect(feedback).toMatchObject({ stage: "execute", category: "code", code: "RUNTIME_ERROR", failedCode: "1/0 # RAISE" });
      expect(feedback?.message).toBe("ZeroDivisionError: division by zero");
      expect(feedback?.traceback?.length).toBeLessThan(TRACEBACK_LIMIT + 60);
      expect(feedback?.traceback).toMatch(/^Traceback \(most recent call last\):/);
      expect(feedback?.traceback).toMatch(/ZeroDivisionError: division by zero$/);
      expect(fakes.artifacts.attemptSaves.map((s) => s.stage)).toEqual(["execution_failed"]);
      expect((await pipeline.getRun(ref))?.state.executionFailures).toBe(1);
    });

    it("fails with the last error once the execution budget is spent", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["a # RAISE", "b # RAISE"], budgets: { maxExecutionRetries: 1 } });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, last } = await drive(pipeline, ref);
      expect(ran.filter((n) => n === "execute")).toHaveLength(2);
      expect(last.final).toMatchObject({ status: "failed", attempts: 2, code: "b # RAISE" });
      expect(last.final?.reason).toContain("ZeroDivisionError");
      expect(last.final?.result?.error?.ename).toBe("ZeroDivisionError");
      expect(fakes.generator.calls).toHaveLength(2);
    });

    it("feeds a timeout back to generation as EXECUTION_TIMEOUT", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["while True: pass  # TIMEOUT"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { last } = await drive(pipeline, ref);
      expect(last.final?.status).toBe("completed");
      expect(fakes.generator.calls[1]?.errorChain[0]).toMatchObject({ stage: "execute", category: "code", code: "EXECUTION_TIMEOUT" });
    });

    it("fails a policy violation without regenerating", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["caput('X', 1) # POLICY"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, last } = await drive(pipeline, ref);
      expect(ran).toEqual(["generate", "analyze", "execute", "finalize"]);
      expect(last.final?.status).toBe("failed");
      expect(last.final?.reason).toContain("PermissionError");
      expect(fakes.generator.calls).toHaveLength(1);
      const run = await pipeline.getRun(ref);
      expect(run?.state.errorChain[0]).toMatchObject({ category: "policy", code: "WRITE_IN_READ_ONLY" });
      expect(run?.state.executionFailures).toBe(0);
    });

    it("leaves the thread at execute on an infrastructure error so a retry re-runs only that node", async () => {
      const { pipeline, fakes, runId } = setup();
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      await pipeline.step(ref, { expected: "generate" });
      await pipeline.step(ref, { expected: "analyze" });
      fakes.executors.executor.infraFailures = 1;
      await expect(pipeline.step(ref, { expected: "execute" })).rejects.toMatchObject({ code: "KERNEL_DIED", category: "infrastructure" });
      const between = await pipeline.getRun(ref);
      expect(between).toMatchObject({ next: "execute", status: "executing" });
      expect(between?.state.errorChain).toHaveLength(0);
      const retried = await pipeline.step(ref, { expected: "execute" });
      expect(retried).toMatchObject({ ran: "execute", next: "finalize", status: "completed" });
      expect(fakes.generator.calls).toHaveLength(1);
      expect(fakes.analyzer.calls).toHaveLength(1);
      expect(fakes.executors.executor.calls).toHaveLength(2);
    });
  });

  describe("step mode", () => {
    it("refuses a duplicate step for a node that already ran, without side effects", async () => {
      const saver = new MemorySaver();
      const { deps, fakes } = fakeDeps();
      const pipeline = createPipeline(deps, saver, options);
      const { ref } = await pipeline.startRun({ runId: "dup-1", request: makeRequest() });
      await pipeline.step(ref, { expected: "generate" });
      const before = await pipeline.getRun(ref);
      const checkpoints = async () => {
        let n = 0;
        for await (const _ of saver.list({ configurable: { thread_id: "dup-1" } })) n++;
        return n;
      };
      const countBefore = await checkpoints();
      const eventsBefore = fakes.events.events.length;
      await expect(pipeline.step(ref, { expected: "generate" })).rejects.toMatchObject({
        code: "STEP_NOT_PENDING",
        details: { expected: "generate", next: "analyze" },
      });
      expect(await checkpoints()).toBe(countBefore);
      expect(await pipeline.getRun(ref)).toEqual(before);
      expect(fakes.generator.calls).toHaveLength(1);
      expect(fakes.events.events.length).toBe(eventsBefore);
    });

    it("reports a finished run on step and refuses an expected node after the end", async () => {
      const { pipeline, runId } = setup();
      const { ref } = await pipeline.startRun({ runId, request: makeRequest({ code: "x = 1" }) });
      await drive(pipeline, ref);
      expect(await pipeline.step(ref)).toMatchObject({ ran: null, next: null, status: "completed" });
      await expect(pipeline.step(ref, { expected: "finalize" })).rejects.toMatchObject({ code: "STEP_NOT_PENDING" });
    });

    it("reads unknown runs as null and refuses to step them", async () => {
      const { pipeline } = setup();
      const ref = { threadId: "nobody", checkpointNs: "" };
      expect(await pipeline.getRun(ref)).toBeNull();
      await expect(pipeline.step(ref)).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("takes thread and namespace from the request, keeps namespaces apart, and never shares a thread", async () => {
      const { pipeline, fakes } = setup();
      const a = await pipeline.startRun({ runId: "ns-a", request: makeRequest({ code: "x = 1", thread_id: "shared", checkpoint_ns: "one" }) });
      const b = await pipeline.startRun({ runId: "ns-b", request: makeRequest({ code: "x = 2", thread_id: "shared", checkpoint_ns: "two" }) });
      expect(a.ref).toEqual({ threadId: "shared", checkpointNs: "one" });
      expect(b.ref).toEqual({ threadId: "shared", checkpointNs: "two" });
      await drive(pipeline, a.ref);
      expect((await pipeline.getRun(a.ref))?.state.final?.status).toBe("completed");
      expect(await pipeline.getRun(b.ref)).toMatchObject({ next: "analyze", state: { runId: "ns-b" } });
      expect(fakes.analyzer.calls.map((c) => c.code)).toEqual(["x = 1"]);

      const again = await pipeline.startRun({ runId: "ns-b", request: makeRequest({ code: "x = 2", thread_id: "shared", checkpoint_ns: "two" }) });
      expect(again).toMatchObject({ next: "analyze", ref: b.ref });
      await expect(
        pipeline.startRun({ runId: "ns-c", request: makeRequest({ code: "x = 3", thread_id: "shared", checkpoint_ns: "two" }) }),
      ).rejects.toMatchObject({ code: "THREAD_HAS_RUN", details: { runId: "ns-b" } });
      await expect(pipeline.startRun({ runId: "has/slash", request: makeRequest() })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    });

    it("keeps 200 concurrent runs independent while they are stepped interleaved", async () => {
      const { deps, fakes } = fakeDeps();
      const pipeline = createPipeline(deps, new MemorySaver(), options);
      const runs = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          pipeline.startRun({
            runId: `many-${i}`,
            request: makeRequest(i % 2 === 0 ? { code: `results = {"i": ${i}}${i % 4 === 0 ? " # RAISE" : ""}`, retries: 1 } : {}),
          }),
        ),
      );
      let active = runs.map((r) => r.ref);
      for (let round = 0; active.length > 0 && round < 20; round++) {
        const results = await Promise.all(active.map((ref) => pipeline.step(ref)));
        active = active.filter((_, i) => results[i]?.next !== null);
      }
      expect(active).toHaveLength(0);
      const views = await Promise.all(runs.map((r) => pipeline.getRun(r.ref)));
      views.forEach((view, i) => {
        expect(view?.state.runId).toBe(`many-${i}`);
        expect(view?.status).toBe("completed");
        const first = view?.state.attempts[0];
        if (i % 2 === 0) expect(first?.code).toContain(`"i": ${i}`);
        expect(view?.state.attempts).toHaveLength(i % 4 === 0 ? 2 : 1);
        expect(view?.state.errorChain.every((e) => e.failedCode?.includes(`"i": ${i}`))).toBe(true);
      });
      expect(fakes.events.ofType("many-7", "finished")).toHaveLength(1);
      expect(fakes.artifacts.finals).toHaveLength(200);
    }, 60_000);
  });

  describe("execute inputs", () => {
    it("passes context, dry run, timeout and work dir to the executor", async () => {
      const { pipeline, fakes, runId } = setup();
      const request = makeRequest({ code: "x = 1", capability_context_data: { pv: "BEAM:I" }, dry_run: true });
      const { ref } = await pipeline.startRun({ runId, request });
      await drive(pipeline, ref);
      expect(fakes.executors.executor.calls[0]).toMatchObject({
        runId,
        attempt: 1,
        mode: "read_only",
        context: { pv: "BEAM:I" },
        dryRun: true,
        timeoutMs: 5000,
        workDir: `/runs/${runId}/attempts/01`,
      });
    });

    it("aborts a running execution through the step's signal and stays at execute", async () => {
      const { pipeline, fakes, runId } = setup();
      const { ref } = await pipeline.startRun({ runId, request: makeRequest({ code: "while True: pass # HANG" }) });
      await pipeline.step(ref, { expected: "analyze" });
      const controller = new AbortController();
      const running = pipeline.step(ref, { expected: "execute", signal: controller.signal });
      await expect.poll(() => fakes.executors.executor.calls.length).toBe(1);
      expect(fakes.executors.executor.calls[0]?.signal).toBeInstanceOf(AbortSignal);
      controller.abort();
      await expect(running).rejects.toThrow();
      expect(await pipeline.getRun(ref)).toMatchObject({ next: "execute", status: "executing" });
      expect(fakes.generator.calls).toHaveLength(0);
    });
  });
});
