import { MemorySaver } from "@langchain/langgraph";
import { ApprovalRequestSchema, codeHash, FinalResultSchema } from "@pyfleet/core";
import { beforeAll, describe, expect, it } from "vitest";
import { makeDecision, makeRequest } from "@pyfleet/testing";
import { createPipeline, type PipelineOptions } from "./pipeline.js";
import { STEP_ENGINES } from "./testing/engines.js";
import { graphConfig } from "./run-ref.js";
import type { PipelineBudgets, RunRef } from "./pipeline-types.js";
import { drive } from "./testing/drive.js";
import { fakeDeps } from "./testing/fakes.js";

/** The engine of the describe block running (set before its tests). */
let options: PipelineOptions = {};

let seq = 0;
function setup(opts: { script?: Array<string | Error>; budgets?: Partial<PipelineBudgets> } = {}) {
  const { deps, fakes } = fakeDeps(opts);
  return { pipeline: createPipeline(deps, new MemorySaver(), options), fakes, runId: `approval-${++seq}` };
}

async function parked(pipeline: ReturnType<typeof createPipeline>, ref: RunRef) {
  const { last } = await drive(pipeline, ref);
  if (!last.interrupt) throw new Error(`run did not park: ${last.status}`);
  return last.interrupt;
}

describe.each(STEP_ENGINES)("$engine", ({ fastSteps }) => {
  beforeAll(() => {
    options = { fastSteps };
  });

  describe("approval routes", () => {
    it("parks in approve with a JSON payload bound to the attempt, then executes once approved", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["x = 1 # APPROVE"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest({ requester: "bob" }) });
      const { ran, last } = await drive(pipeline, ref);
      expect(ran).toEqual(["generate", "analyze", "approve"]);
      expect(last).toMatchObject({ ran: "approve", next: "approve", status: "awaiting_approval", mode: "read_only" });
      const payload = last.interrupt;
      expect(payload).toMatchObject({
        approval_type: "python_executor",
        runId,
        threadId: runId,
        attempt: 1,
        codeHash: codeHash("x = 1 # APPROVE"),
        executionMode: "read_only",
        kernelName: "python3-epics-readonly",
        requester: "bob",
        notebookLink: "http://jupyter/awaiting_approval",
      });
      expect(ApprovalRequestSchema.parse(payload)).toEqual(payload);
      expect(payload?.user_message).toContain("HUMAN APPROVAL REQUIRED");
      expect(payload?.user_message).toContain("Python code requires human approval for read_only mode");
      expect(fakes.artifacts.attemptSaves.map((s) => s.stage)).toEqual(["awaiting_approval"]);
      expect((await pipeline.getRun(ref))?.status).toBe("awaiting_approval");

      await expect(pipeline.step(ref)).rejects.toMatchObject({ code: "STEP_NOT_PENDING" });
      await expect(pipeline.step(ref, { expected: "approve" })).rejects.toMatchObject({ code: "STEP_NOT_PENDING" });
      expect(fakes.events.ofType(runId, "approval")).toHaveLength(0);

      const resumed = await pipeline.resume(ref, makeDecision(payload!));
      expect(resumed).toMatchObject({ ran: "approve", next: "execute", status: "executing" });
      const done = await drive(pipeline, ref);
      expect(done.ran).toEqual(["execute", "finalize"]);
      expect(done.last.final?.status).toBe("completed");
      expect(FinalResultSchema.parse(done.last.final)).toEqual(done.last.final);
      expect(fakes.verifier.calls).toHaveLength(1);
    });

    it("refuses a decision for another attempt or hash without moving the run", async () => {
      const { pipeline, runId } = setup({ script: ["x = 1 # APPROVE"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const payload = await parked(pipeline, ref);
      await expect(pipeline.resume(ref, makeDecision({ ...payload, codeHash: "f".repeat(64) }))).rejects.toMatchObject({
        code: "APPROVAL_HASH_MISMATCH",
      });
      await expect(pipeline.resume(ref, { bogus: true } as never)).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
      expect((await pipeline.getRun(ref))?.status).toBe("awaiting_approval");
    });

    it("ends as rejected on a plain rejection without running the code", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["x = 1 # APPROVE"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const payload = await parked(pipeline, ref);
      const res = await pipeline.resume(ref, makeDecision(payload, { decision: "reject", reason: "wrong PV" }));
      expect(res).toMatchObject({ next: "finalize", status: "rejected" });
      const { ran, last } = await drive(pipeline, ref);
      expect(ran).toEqual(["finalize"]);
      expect(last.final).toMatchObject({ status: "rejected", reason: "wrong PV", result: null });
      expect(fakes.executors.executor.calls).toHaveLength(0);
      expect(fakes.generator.calls).toHaveLength(1);
    });

    it("regenerates after a rejection with feedback, and the new code parks again with a new hash", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["x = 1 # APPROVE", "x = 2 # APPROVE"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const first = await parked(pipeline, ref);
      const res = await pipeline.resume(
        ref,
        makeDecision(first, { decision: "reject", reason: "no", feedback: "use x = 2", regenerate: true }),
      );
      expect(res).toMatchObject({ next: "generate", status: "generating" });
      const second = await parked(pipeline, ref);
      expect(second.attempt).toBe(2);
      expect(second.codeHash).toBe(codeHash("x = 2 # APPROVE"));
      expect(second.codeHash).not.toBe(first.codeHash);
      const feedback = fakes.generator.calls[1]?.errorChain.at(-1);
      expect(feedback).toMatchObject({ stage: "approve", category: "approval", code: "APPROVAL_REJECTED", message: "use x = 2" });
      await pipeline.resume(ref, makeDecision(second));
      const { last } = await drive(pipeline, ref);
      expect(last.final).toMatchObject({ status: "completed", attempts: 2 });
      expect(fakes.executors.executor.calls.map((c) => c.code)).toEqual(["x = 2 # APPROVE"]);
    });

    it("ends as rejected when feedback arrives with the generation budget spent", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["x = 1 # APPROVE"], budgets: { maxGenerationRetries: 0 } });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const payload = await parked(pipeline, ref);
      await pipeline.resume(ref, makeDecision(payload, { decision: "reject", reason: "no", feedback: "again", regenerate: true }));
      const { ran, last } = await drive(pipeline, ref);
      expect(ran).toEqual(["finalize"]);
      expect(last.final?.status).toBe("rejected");
      expect(fakes.generator.calls).toHaveLength(1);
    });
  });

  describe("write mode", () => {
    it("verifies the decision, takes the at-most-once marker and records the outcome", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["caput('BEAM:SET', 1) # WRITE"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const payload = await parked(pipeline, ref);
      expect(payload).toMatchObject({ executionMode: "write_access", kernelName: "python3-epics-write" });
      expect(payload.user_message).toContain("BEAM:SET");
      const res = await pipeline.resume(ref, makeDecision(payload));
      expect(res).toMatchObject({ next: "execute", mode: "write_access" });
      const { last } = await drive(pipeline, ref);
      expect(last.final?.status).toBe("completed");
      // the manifest's dry run on the read-only side, then the write itself
      expect(fakes.executors.requested).toEqual([
        { method: "local", mode: "read_only" },
        { method: "local", mode: "write_access" },
      ]);
      expect(fakes.guard.markers.get(`${runId}:1`)).toBe("succeeded");
    });

    it("fails without executing or retrying when the decision does not verify", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["caput('BEAM:SET', 1) # WRITE"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const payload = await parked(pipeline, ref);
      await pipeline.resume(ref, makeDecision(payload, { signature: "forged" }));
      const { ran, last } = await drive(pipeline, ref);
      expect(ran).toEqual(["execute", "finalize"]);
      expect(last.final?.status).toBe("failed");
      expect(fakes.executors.executor.calls).toHaveLength(0);
      expect(fakes.guard.markers.size).toBe(0);
      const run = await pipeline.getRun(ref);
      expect(run?.state.errorChain.at(-1)).toMatchObject({ stage: "execute", category: "approval", code: "APPROVAL_SIGNATURE_INVALID" });
    });

    it("refuses approved write code that was changed in the checkpoint after approval (hashes the code it runs)", async () => {
      const { deps, fakes } = fakeDeps({ script: ["caput('BEAM:SET', 1) # WRITE"] });
      const saver = new MemorySaver();
      const pipeline = createPipeline(deps, saver, options);
      const { ref } = await pipeline.startRun({ runId: `approval-${++seq}`, request: makeRequest() });
      const payload = await parked(pipeline, ref);
      expect(await pipeline.resume(ref, makeDecision(payload))).toMatchObject({ next: "execute" });
      // Someone with Redis access swaps the approved code but leaves the stored hash alone.
      const tuple = await saver.getTuple(graphConfig(ref));
      if (!tuple) throw new Error("no checkpoint");
      const values = tuple.checkpoint.channel_values as { attempts: Array<{ code: string }> };
      const tampered = structuredClone(tuple.checkpoint);
      (tampered.channel_values as typeof values).attempts = values.attempts.map((a) => ({ ...a, code: "caput('BEAM:SET', 999) # WRITE" }));
      tampered.id = `${tuple.checkpoint.id.slice(0, -4)}ffff`;
      await saver.put(tuple.config, tampered, tuple.metadata ?? { source: "update", step: 0, parents: {} });
      expect((await pipeline.getRun(ref))?.state.attempts.at(-1)?.code).toContain("999");

      const { last } = await drive(pipeline, ref);
      expect(last.final?.status).toBe("failed");
      expect(fakes.executors.executor.calls).toHaveLength(0);
      expect(fakes.guard.markers.size).toBe(0);
      const run = await pipeline.getRun(ref);
      expect(run?.state.errorChain.at(-1)).toMatchObject({ stage: "execute", category: "approval", code: "APPROVAL_HASH_MISMATCH" });
    });

    it("never runs write code that the approval policy let through unapproved, and says how to fix the config", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["caput('BEAM:SET', 1) # WRITE # UNAPPROVED"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, last } = await drive(pipeline, ref);
      expect(ran).toEqual(["generate", "analyze", "execute", "finalize"]);
      expect(last.final?.status).toBe("failed");
      expect(fakes.executors.executor.calls).toHaveLength(0);
      expect(fakes.guard.markers.size).toBe(0);
      const run = await pipeline.getRun(ref);
      const error = run?.state.errorChain.at(-1);
      expect(error).toMatchObject({ stage: "execute", category: "approval", code: "APPROVAL_MISSING" });
      expect(error?.message).toContain("set execution.modes.write_access.requires_approval: true");
    });

    it("ends as outcome_unknown when the marker shows an earlier delivery started the write", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["caput('BEAM:SET', 1) # WRITE"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const payload = await parked(pipeline, ref);
      await pipeline.resume(ref, makeDecision(payload));
      fakes.guard.markers.set(`${runId}:1`, "started");
      const { last } = await drive(pipeline, ref);
      expect(last.final?.status).toBe("outcome_unknown");
      expect(fakes.executors.executor.calls).toHaveLength(0);
      expect(fakes.generator.calls).toHaveLength(1);
    });

    it("never re-runs a write whose executor crashed: the retry finds the marker", async () => {
      const { pipeline, fakes, runId } = setup({ script: ["caput('BEAM:SET', 1) # WRITE"] });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const payload = await parked(pipeline, ref);
      await pipeline.resume(ref, makeDecision(payload));
      fakes.executors.executor.infraFailures = 1;
      await expect(pipeline.step(ref, { expected: "execute" })).rejects.toMatchObject({ code: "KERNEL_DIED" });
      const retry = await pipeline.step(ref, { expected: "execute" });
      expect(retry).toMatchObject({ next: "finalize", status: "outcome_unknown" });
      expect(fakes.executors.executor.calls).toHaveLength(1);
    });
  });
});
