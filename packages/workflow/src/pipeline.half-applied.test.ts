import { MemorySaver } from "@langchain/langgraph";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { Checkpoint, CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import { makeDecision, makeRequest } from "@pyfleet/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { createPipeline, type PipelineOptions } from "./pipeline.js";
import { STEP_ENGINES } from "./testing/engines.js";
import { drive } from "./testing/drive.js";
import { fakeDeps } from "./testing/fakes.js";

/** The engine of the describe block running (set before its tests). */
let options: PipelineOptions = {};

/**
 * A MemorySaver whose next checkpoint write fails once armed: the process stopped after the
 * node's output was stored (LangGraph's `putWrites` as the task ends) and before the checkpoint
 * after it (`put` at the end of the superstep). Chaos found it with a real approver SIGKILLed
 * mid-resume: the run stayed parked for good.
 */
class StopsBeforeCheckpoint extends MemorySaver {
  armed = false;
  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata) {
    if (this.armed) {
      this.armed = false;
      throw new Error("process stopped before the checkpoint was written");
    }
    return super.put(config, checkpoint, metadata);
  }
}

let seq = 0;
function setup(script: string[]) {
  const { deps, fakes } = fakeDeps({ script });
  const saver = new StopsBeforeCheckpoint();
  return { pipeline: createPipeline(deps, saver, options), saver, fakes, runId: `half-${++seq}` };
}

describe.each(STEP_ENGINES)("$engine", ({ fastSteps }) => {
  beforeAll(() => {
    options = { fastSteps };
  });

  describe("a step whose process stopped between the node's output and the checkpoint", () => {
    it("resume: the stored decision is applied once, the run goes on to execute, the decision is not taken twice", async () => {
      const { pipeline, saver, fakes, runId } = setup(["x = 1 # APPROVE"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { last } = await drive(pipeline, ref);
      const decision = makeDecision(last.interrupt!);
      saver.armed = true;
      await expect(pipeline.resume(ref, decision)).rejects.toThrow(/stopped before the checkpoint/);
      // a plain read writes nothing: it still sees the parked task (its output is not applied)
      expect((await pipeline.getRun(ref))?.next).toBeNull();

      // a second resume of the same decision finds it applied: the run waits for execute
      await expect(pipeline.resume(ref, decision)).rejects.toMatchObject({ code: "STEP_NOT_PENDING", details: { next: "execute" } });
      const settled = await pipeline.getRun(ref, { settle: true });
      expect(settled).toMatchObject({ next: "execute", status: "executing" });
      expect(settled?.interrupt).toBeUndefined();
      expect(settled?.state.decision?.approvalId).toBe(decision.approvalId);
      expect(fakes.events.ofType(runId, "approval")).toHaveLength(1);

      const done = await drive(pipeline, ref);
      expect(done.ran).toEqual(["execute", "finalize"]);
      expect(done.last.final?.status).toBe("completed");
      expect(fakes.executors.executor.calls).toHaveLength(1);
    });

    it("step: the node is not run again; the redelivered job is refused and the run continues at the next node", async () => {
      const { pipeline, saver, fakes, runId } = setup(["results = {'x': 1}"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      expect(await pipeline.step(ref, { expected: "generate" })).toMatchObject({ next: "analyze" });
      saver.armed = true;
      await expect(pipeline.step(ref, { expected: "analyze" })).rejects.toThrow(/stopped before the checkpoint/);
      expect(fakes.analyzer.calls).toHaveLength(1);

      await expect(pipeline.step(ref, { expected: "analyze" })).rejects.toMatchObject({ code: "STEP_NOT_PENDING", details: { next: "execute" } });
      expect(fakes.analyzer.calls).toHaveLength(1);
      expect(await pipeline.step(ref, { expected: "execute" })).toMatchObject({ ran: "execute", next: "finalize" });
      expect(await pipeline.step(ref, { expected: "finalize" })).toMatchObject({ ran: "finalize", next: null, status: "completed" });
      expect(fakes.executors.executor.calls).toHaveLength(1);
    });

    it("execute: code that ran is never run again; its stored result finishes the run", async () => {
      const { pipeline, saver, fakes, runId } = setup(["results = {'x': 1}"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      await pipeline.step(ref, { expected: "generate" });
      await pipeline.step(ref, { expected: "analyze" });
      saver.armed = true;
      await expect(pipeline.step(ref, { expected: "execute" })).rejects.toThrow(/stopped before the checkpoint/);
      const { ran, last } = await drive(pipeline, ref);
      expect(ran).toEqual(["finalize"]);
      expect(last.final?.status).toBe("completed");
      expect(fakes.executors.executor.calls).toHaveLength(1);
    });

    it("finalize: the last step's output ends the run without running finalize again", async () => {
      const { pipeline, saver, fakes, runId } = setup(["results = {'x': 1}"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      for (const node of ["generate", "analyze", "execute"] as const) await pipeline.step(ref, { expected: node });
      saver.armed = true;
      await expect(pipeline.step(ref, { expected: "finalize" })).rejects.toThrow(/stopped before the checkpoint/);
      const saves = fakes.artifacts.finals.length;
      expect(await pipeline.step(ref)).toMatchObject({ ran: null, next: null, status: "completed" });
      expect(fakes.artifacts.finals).toHaveLength(saves);
    });
  });
});
