import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver } from "@langchain/langgraph";
import { makeRequest } from "@pyfleet/testing";
import { describe, expect, it } from "vitest";
import { createPipeline } from "./pipeline.js";
import { StepReadSaver } from "./step-read-saver.js";
import { fakeDeps } from "./testing/fakes.js";

/** A MemorySaver that counts reads of a thread's latest checkpoint (what costs a Redis round trip in the fleet). */
class CountingSaver extends MemorySaver {
  latestReads = 0;
  override async getTuple(config: RunnableConfig) {
    if (!config.configurable?.checkpoint_id) this.latestReads++;
    return super.getTuple(config);
  }
}

const cfg = (thread: string) => ({ configurable: { thread_id: thread, checkpoint_ns: "" } });

describe("StepReadSaver", () => {
  it("hands one latest read to the next reader inside once, and reads again after a write", async () => {
    const inner = new CountingSaver();
    const saver = new StepReadSaver(inner);
    const { pipeline } = (() => {
      const { deps } = fakeDeps();
      return { pipeline: createPipeline(deps, saver) };
    })();
    const { ref } = await pipeline.startRun({ runId: "r-held", request: makeRequest({ code: "results = {}" }) });
    const thread = `${ref.threadId}`;
    inner.latestReads = 0;
    await saver.once(thread, async () => {
      const a = await saver.getTuple(cfg(thread));
      const b = await saver.getTuple(cfg(thread));
      expect(b).toEqual(a);
      expect(inner.latestReads).toBe(1);
      // the first reader may apply pending writes to its copy (getState does): the second one's versions stay as read
      const seenBefore = structuredClone(b!.checkpoint.versions_seen);
      a!.checkpoint.channel_versions.decision = 99;
      for (const versions of Object.values(a!.checkpoint.versions_seen)) versions.decision = 99;
      expect(b!.checkpoint.channel_versions.decision).not.toBe(99);
      expect(b!.checkpoint.versions_seen).toEqual(seenBefore);
      await saver.getTuple(cfg(thread));
      expect(inner.latestReads).toBe(2);
      const c = await saver.getTuple(cfg(thread));
      await saver.put(cfg(thread), structuredClone(c!.checkpoint), c!.metadata!, {});
      await saver.getTuple(cfg(thread));
      expect(inner.latestReads).toBe(3);
      // another thread and an addressed read are not held
      await saver.getTuple(cfg("other"));
      await saver.getTuple(cfg("other"));
      expect(inner.latestReads).toBe(5);
    });
    await saver.getTuple(cfg(thread));
    await saver.getTuple(cfg(thread));
    expect(inner.latestReads).toBe(7);
  });

  it("lets a pipeline step read the run's checkpoint once", async () => {
    const inner = new CountingSaver();
    const { deps } = fakeDeps();
    const pipeline = createPipeline(deps, inner);
    const { ref } = await pipeline.startRun({ runId: "r-one-read", request: makeRequest({ code: "results = {}" }) });
    for (const node of ["analyze", "execute", "finalize"] as const) {
      inner.latestReads = 0;
      const r = await pipeline.step(ref, { expected: node });
      expect(r.ran).toBe(node);
      expect(inner.latestReads).toBe(1);
    }
    expect((await pipeline.getRun(ref))?.status).toBe("completed");
  });
});
