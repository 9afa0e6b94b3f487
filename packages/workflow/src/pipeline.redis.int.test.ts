/**
 * Step mode across two "processes": two separately compiled pipelines, each with its own
 * PlainRedisSaver on its own Redis connection, advance one run alternately through every stage.
 */
import { PlainRedisSaver, threadKeyList } from "@pyfleet/checkpointer";
import { codeHash, RedisKeys } from "@pyfleet/core";
import { makeDecision, makeRequest, type RedisFixture } from "@pyfleet/testing";
import { redisTest } from "@pyfleet/testing/vitest";
import { describe, expect } from "vitest";
import { createPipeline } from "./pipeline.js";
import type { RunRef } from "./pipeline-types.js";
import { graphConfig, graphThreadId } from "./run-ref.js";
import { fakeDeps } from "./testing/fakes.js";

/** One process: its own connection, saver, fakes and compiled graph. */
function fleetProcess(fx: RedisFixture, script: string[] = []) {
  const saver = new PlainRedisSaver(fx.connect(), { prefix: new RedisKeys(fx.prefix).checkpointPrefix });
  const { deps, fakes } = fakeDeps({ script });
  return { saver, fakes, pipeline: createPipeline(deps, saver) };
}

async function checkpointCount(saver: PlainRedisSaver, ref: RunRef): Promise<number> {
  let n = 0;
  for await (const _ of saver.list(graphConfig(ref))) n++;
  return n;
}

describe("step mode on Redis across two processes", () => {
  redisTest("advances one run alternately through generate → analyze → approve → resume → execute → finalize", async ({ redis: fx }) => {
    const code = "epics.caput('BEAM:SET', 1) # WRITE";
    const a = fleetProcess(fx, [code]);
    const b = fleetProcess(fx);

    const started = await a.pipeline.startRun({ runId: "r-1", request: makeRequest({ checkpoint_ns: "fleet" }) });
    expect(started).toMatchObject({ next: "generate", ref: { threadId: "r-1", checkpointNs: "fleet" } });
    expect(await b.pipeline.getRun(started.ref)).toMatchObject({ next: "generate", status: "generating" });

    expect(await a.pipeline.step(started.ref, { expected: "generate" })).toMatchObject({ ran: "generate", next: "analyze" });
    expect(await b.pipeline.step(started.ref, { expected: "analyze" })).toMatchObject({
      ran: "analyze",
      next: "preview",
      status: "analyzing",
      mode: "write_access",
    });
    expect(b.fakes.analyzer.calls.map((c) => c.code)).toEqual([code]);
    expect(await a.pipeline.step(started.ref, { expected: "preview" })).toMatchObject({ ran: "preview", next: "approve" });
    expect(a.fakes.executors.executor.previews).toHaveLength(1);

    const parked = await b.pipeline.step(started.ref, { expected: "approve" });
    expect(parked).toMatchObject({ ran: "approve", next: "approve", status: "awaiting_approval" });
    expect(parked.interrupt).toMatchObject({ runId: "r-1", attempt: 1, codeHash: codeHash(code), executionMode: "write_access" });
    const seenByB = await b.pipeline.getRun(started.ref);
    expect(seenByB?.status).toBe("awaiting_approval");
    expect(seenByB?.interrupt?.codeHash).toBe(codeHash(code));

    const resumed = await b.pipeline.resume(started.ref, makeDecision(parked.interrupt!));
    expect(resumed).toMatchObject({ ran: "approve", next: "execute", status: "executing", mode: "write_access" });

    expect(await a.pipeline.step(started.ref, { expected: "execute" })).toMatchObject({ ran: "execute", next: "finalize", status: "completed" });
    expect(a.fakes.verifier.calls).toHaveLength(1);
    expect(a.fakes.executors.executor.calls.map((c) => c.code)).toEqual([code]);

    const done = await b.pipeline.step(started.ref, { expected: "finalize" });
    expect(done).toMatchObject({ ran: "finalize", next: null, status: "completed" });
    expect(done.final).toMatchObject({ status: "completed", attempts: 1, code });
    expect(done.final?.result?.results).toEqual({ value: 1 });
    expect((await a.pipeline.getRun(started.ref))?.state.final?.status).toBe("completed");

    const threadKeys = threadKeyList(new RedisKeys(fx.prefix).checkpointPrefix, graphThreadId(started.ref));
    expect(await fx.redis.exists(...threadKeys)).toBe(threadKeys.length);
  });

  redisTest("startRun stores a new run as one checkpoint in one write, and the other process steps it", async ({ redis: fx }) => {
    const a = fleetProcess(fx);
    const b = fleetProcess(fx);
    const writes: string[] = [];
    const { put, putWrites } = a.saver;
    a.saver.put = (...args) => {
      writes.push("put");
      return put.apply(a.saver, args);
    };
    a.saver.putWrites = (...args) => {
      writes.push("putWrites");
      return putWrites.apply(a.saver, args);
    };

    const { ref, next } = await a.pipeline.startRun({ runId: "r-new", request: makeRequest({ code: "x = 1" }) });
    expect(next).toBe("analyze");
    // before: an input checkpoint, the START task's writes, the checkpoint after START
    expect(writes).toEqual(["put"]);
    expect(await checkpointCount(b.saver, ref)).toBe(1);
    expect(await b.pipeline.getRun(ref)).toMatchObject({ next: "analyze", status: "analyzing", state: { runId: "r-new", attempts: [{ number: 1, code: "x = 1" }] } });
    expect(await b.pipeline.step(ref, { expected: "analyze" })).toMatchObject({ ran: "analyze", next: "execute" });
    await expect(a.pipeline.startRun({ runId: "r-other", request: makeRequest({ thread_id: ref.threadId }) })).rejects.toMatchObject({ code: "THREAD_HAS_RUN" });
  });

  redisTest("refuses a duplicate step for a node the other process already ran, without side effects", async ({ redis: fx }) => {
    const a = fleetProcess(fx);
    const b = fleetProcess(fx);
    const { ref } = await a.pipeline.startRun({ runId: "r-2", request: makeRequest() });
    await a.pipeline.step(ref, { expected: "generate" });
    const before = await b.pipeline.getRun(ref);
    const count = await checkpointCount(b.saver, ref);

    await expect(b.pipeline.step(ref, { expected: "generate" })).rejects.toMatchObject({ code: "STEP_NOT_PENDING" });
    expect(b.fakes.generator.calls).toHaveLength(0);
    expect(b.fakes.events.events).toHaveLength(0);
    expect(await checkpointCount(b.saver, ref)).toBe(count);
    expect(await a.pipeline.getRun(ref)).toEqual(before);

    expect(await b.pipeline.step(ref, { expected: "analyze" })).toMatchObject({ ran: "analyze", next: "execute" });
  });

  redisTest("re-runs only execute in the other process after an infrastructure error", async ({ redis: fx }) => {
    const a = fleetProcess(fx);
    const b = fleetProcess(fx);
    const { ref } = await a.pipeline.startRun({ runId: "r-3", request: makeRequest({ code: "x = 1" }) });
    await a.pipeline.step(ref, { expected: "analyze" });
    a.fakes.executors.executor.infraFailures = 1;
    await expect(a.pipeline.step(ref, { expected: "execute" })).rejects.toMatchObject({ code: "KERNEL_DIED" });
    expect(await b.pipeline.step(ref, { expected: "execute" })).toMatchObject({ ran: "execute", next: "finalize" });
    expect(a.fakes.analyzer.calls).toHaveLength(1);
    expect(b.fakes.analyzer.calls).toHaveLength(0);
    expect(b.fakes.executors.executor.calls).toHaveLength(1);
  });

  // Chaos (CI of session 6's last stop): an approver SIGKILLed mid-resume left the approve node's
  // output stored on the parked checkpoint and no checkpoint after it; every sweep was refused
  // ("approve is not pending; pending is approve") and the run stayed parked for good.
  redisTest("a resume whose process died after the decision was stored and before the next checkpoint: another process goes on from it, the write runs once", async ({ redis: fx }) => {
    const code = "epics.caput('BEAM:SET', 2) # WRITE";
    const dying = fleetProcess(fx, [code]);
    const b = fleetProcess(fx);
    const { ref } = await dying.pipeline.startRun({ runId: "r-half", request: makeRequest() });
    for (const node of ["generate", "analyze", "preview"] as const) await dying.pipeline.step(ref, { expected: node });
    const parked = await dying.pipeline.step(ref, { expected: "approve" });
    const decision = makeDecision(parked.interrupt!);
    dying.saver.put = () => Promise.reject(new Error("SIGKILL before the checkpoint after approve"));
    await expect(dying.pipeline.resume(ref, decision)).rejects.toThrow(/SIGKILL/);

    await expect(b.pipeline.resume(ref, decision)).rejects.toMatchObject({ code: "STEP_NOT_PENDING", details: { next: "execute" } });
    const view = await b.pipeline.getRun(ref);
    expect(view).toMatchObject({ next: "execute", status: "executing" });
    expect(view?.state.decision?.approvalId).toBe(decision.approvalId);
    expect(await b.pipeline.step(ref, { expected: "execute" })).toMatchObject({ ran: "execute", next: "finalize" });
    expect(await b.pipeline.step(ref, { expected: "finalize" })).toMatchObject({ next: null, status: "completed" });
    expect(dying.fakes.executors.executor.calls.length + b.fakes.executors.executor.calls.length).toBe(1);
    expect(b.fakes.verifier.calls).toHaveLength(1);
  });
});
