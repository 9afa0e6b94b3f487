import { MemorySaver } from "@langchain/langgraph";
import { ApprovalRequestSchema, manifestHash } from "@pyfleet/core";
import { beforeAll, describe, expect, it } from "vitest";
import { makeDecision, makeRequest } from "@pyfleet/testing";
import { createPipeline, type PipelineOptions } from "./pipeline.js";
import { STEP_ENGINES } from "./testing/engines.js";
import { graphConfig } from "./run-ref.js";
import type { RunRef } from "./pipeline-types.js";
import { drive } from "./testing/drive.js";
import { fakeDeps } from "./testing/fakes.js";

/** The engine of the describe block running (set before its tests). */
let options: PipelineOptions = {};

let seq = 0;
function setup(script: string[], safety?: { refuseOutOfLimits?: boolean; enforceLimits?: boolean }) {
  const { deps, fakes } = fakeDeps({ script });
  if (safety) deps.writeSafety = { connectionTimeoutS: 2, refuseOutOfLimits: true, enforceLimits: true, ...safety };
  const saver = new MemorySaver();
  return { pipeline: createPipeline(deps, saver, options), saver, fakes, runId: `manifest-${++seq}` };
}

async function parked(pipeline: ReturnType<typeof createPipeline>, ref: RunRef) {
  const { ran, last } = await drive(pipeline, ref);
  if (!last.interrupt) throw new Error(`run did not park: ${last.status}`);
  return { ran, payload: last.interrupt };
}

describe.each(STEP_ENGINES)("$engine", ({ fastSteps }) => {
  beforeAll(() => {
    options = { fastSteps };
  });

  describe("write manifest (preview node)", () => {
    it("dry-runs a write run on the read-only executor before parking; the approval carries the manifest and the write runs with it", async () => {
      const { pipeline, fakes, runId } = setup(["caput('BEAM:SET', 1) # WRITE"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, payload } = await parked(pipeline, ref);
      expect(ran).toEqual(["generate", "analyze", "preview", "approve"]);
      const dry = fakes.executors.executor.previews;
      expect(dry).toHaveLength(1);
      expect(dry[0]).toMatchObject({ mode: "read_only", dryRun: true, describeWrites: true, timeoutMs: 5000 });
      expect(fakes.executors.executor.calls).toHaveLength(0);
      expect(ApprovalRequestSchema.parse(payload)).toEqual(payload);
      expect(payload.manifest).toMatchObject({
        pvs: ["BEAM:SET"],
        entries: [{ pv: "BEAM:SET", current: 0, proposed: 1, units: "A", limits: { low: 0, high: 10 }, outOfLimits: false }],
      });
      expect(payload.manifest?.hash).toBe(manifestHash(payload.manifest?.entries ?? []));
      expect(payload.user_message).toContain("BEAM:SET  0.0 A → 1.0 A  (limits 0 … 10 A)");

      await pipeline.resume(ref, makeDecision(payload));
      const { last } = await drive(pipeline, ref);
      expect(last.final?.status).toBe("completed");
      const run = fakes.executors.executor.calls[0];
      expect(run).toMatchObject({ mode: "write_access", dryRun: false });
      expect(run?.writePolicy).toEqual({ allowed_pvs: ["BEAM:SET"], limits: { "BEAM:SET": { low: 0, high: 10 } }, enforce_limits: true, connection_timeout_s: 5 });
      expect(last.final?.result?.writes).toMatchObject([{ pv: "BEAM:SET", status: "ok", readback: 1 }]);
    });

    it("sends an out-of-limits proposal back to generation: it never parks", async () => {
      const { pipeline, fakes, runId } = setup(["caput('BEAM:SET', 99) # WRITE # OUTOFLIMITS", "caput('BEAM:SET', 1) # WRITE"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, payload } = await parked(pipeline, ref);
      expect(ran).toEqual(["generate", "analyze", "preview", "generate", "analyze", "preview", "approve"]);
      expect(payload.attempt).toBe(2);
      const run = await pipeline.getRun(ref);
      expect(run?.state.errorChain).toMatchObject([{ stage: "preview", category: "code", code: "MANIFEST_OUT_OF_LIMITS" }]);
      expect(run?.state.errorChain[0]?.message).toContain("BEAM:SET  0.0 A → 99.0 A  (limits 0 … 10 A)  ⚠ OUT OF LIMITS");
      expect(fakes.generator.calls[1]?.errorChain.at(-1)?.code).toBe("MANIFEST_OUT_OF_LIMITS");
    });

    it("parks an out-of-limits proposal, flagged, when refuse_out_of_limits is off", async () => {
      const { pipeline, runId } = setup(["caput('BEAM:SET', 99) # WRITE # OUTOFLIMITS"], { refuseOutOfLimits: false });
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { payload } = await parked(pipeline, ref);
      expect(payload.manifest?.entries[0]).toMatchObject({ proposed: 99, outOfLimits: true });
    });

    it("feeds a failing dry run back to generation instead of parking it", async () => {
      const { pipeline, fakes, runId } = setup(["caput('BEAM:SET', 1) # WRITE # DRYFAIL", "caput('BEAM:SET', 1) # WRITE"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran } = await parked(pipeline, ref);
      expect(ran).toEqual(["generate", "analyze", "preview", "generate", "analyze", "preview", "approve"]);
      const run = await pipeline.getRun(ref);
      expect(run?.state.errorChain).toMatchObject([{ stage: "preview", code: "DRY_RUN_FAILED", traceback: "KeyError: 'BPM'" }]);
      expect(run?.state.executionFailures).toBe(1);
      expect(fakes.executors.executor.calls).toHaveLength(0);
    });

    it("refuses a decision that signed another manifest at resume", async () => {
      const { pipeline, runId } = setup(["caput('BEAM:SET', 1) # WRITE"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { payload } = await parked(pipeline, ref);
      await expect(pipeline.resume(ref, makeDecision(payload, { manifestHash: "e".repeat(64) }))).rejects.toMatchObject({ code: "APPROVAL_HASH_MISMATCH" });
      expect((await pipeline.getRun(ref))?.status).toBe("awaiting_approval");
    });

    it("refuses to run when the manifest was edited in the checkpoint after approval (hash recomputed)", async () => {
      const { pipeline, saver, fakes, runId } = setup(["caput('BEAM:SET', 1) # WRITE"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { payload } = await parked(pipeline, ref);
      await pipeline.resume(ref, makeDecision(payload));
      const tuple = await saver.getTuple(graphConfig(ref));
      if (!tuple) throw new Error("no checkpoint");
      const tampered = structuredClone(tuple.checkpoint);
      const values = tampered.channel_values as { attempts: Array<{ manifest: { entries: Array<{ limits: unknown }> } }> };
      // widen the limits but keep the stored hash: the executor must not trust it
      for (const a of values.attempts) for (const e of a.manifest.entries) e.limits = { low: 0, high: 1000, source: "forged" };
      tampered.id = `${tuple.checkpoint.id.slice(0, -4)}ffff`;
      await saver.put(tuple.config, tampered, tuple.metadata ?? { source: "update", step: 0, parents: {} });
      const { last } = await drive(pipeline, ref);
      expect(last.final?.status).toBe("failed");
      expect(fakes.executors.executor.calls).toHaveLength(0);
      expect(fakes.guard.markers.size).toBe(0);
      expect((await pipeline.getRun(ref))?.state.errorChain.at(-1)).toMatchObject({ stage: "execute", code: "APPROVAL_MANIFEST_MISMATCH" });
    });

    it("a write to a PV outside the signed manifest fails the run as policy, without retry or regeneration", async () => {
      const { pipeline, fakes, runId } = setup(["caput('BEAM:SET', 1) # WRITE"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { payload } = await parked(pipeline, ref);
      // a signed manifest that names another PV (as if the code wrote elsewhere at run time)
      await pipeline.resume(ref, makeDecision(payload, { writePvs: ["OTHER:PV"] }));
      const { ran, last } = await drive(pipeline, ref);
      expect(ran).toEqual(["execute", "finalize"]);
      expect(last.final?.status).toBe("failed");
      expect(fakes.generator.calls).toHaveLength(1);
      expect(fakes.guard.markers.get(`${runId}:1`)).toBe("failed");
      expect((await pipeline.getRun(ref))?.state.errorChain.at(-1)).toMatchObject({ stage: "execute", category: "policy", code: "WRITE_NOT_IN_MANIFEST" });
    });

    it("read-only runs that need a human skip the preview", async () => {
      const { pipeline, fakes, runId } = setup(["x = 1 # APPROVE"]);
      const { ref } = await pipeline.startRun({ runId, request: makeRequest() });
      const { ran, payload } = await parked(pipeline, ref);
      expect(ran).toEqual(["generate", "analyze", "approve"]);
      expect(payload.manifest).toBeUndefined();
      expect(fakes.executors.executor.previews).toHaveLength(0);
    });
  });
});
