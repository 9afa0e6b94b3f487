import type { Fleet } from "@pyfleet/fleet";
import type { Pipeline } from "@pyfleet/workflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFiles } from "./testing/approvals.js";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";

// A stage worker SIGKILLed after its step reached the checkpoint and before it dispatched the next
// hop (chaos: read-only crash scenario, a run left `analyzing` for good): BullMQ redelivers the job,
// the checkpoint refuses it as not pending, and the run must still move on, once.
describe("a job redelivered after its step reached the checkpoint (real Redis, analyzer, Python)", () => {
  let t: TestFleet;
  let env: Record<string, string>;
  let producer: Fleet | undefined;
  /** The producer's pipeline: the test runs a step with it alone, as the dead worker did. */
  let pipeline: Pipeline | undefined;

  beforeAll(async () => {
    t = await startTestFleet({ tag: "orphaned-hop", modes: ["read_only"] });
    ({ fleet: producer, env } = t);
    pipeline = t.runtime.built.pipeline;
  });
  afterAll(() => t?.cleanup());

  it("dispatches the pending hop once and the run completes", async () => {
    if (!producer || !pipeline) throw new Error("the producer did not start");
    const code = `open("ran.flag", "w").write("ran")\nresults = {"answer": 42}\n`;
    const { runId } = await producer.submit({ user_query: "q", task_objective: "answer", code }, { requester: "carol" });
    const rec = await producer.get(runId);
    if (!rec) throw new Error("run not stored");
    // what the dead analyze worker got done: the checkpoint moved past analyze; nothing was dispatched
    const ran = await pipeline.step({ threadId: rec.threadId, checkpointNs: rec.checkpointNs }, { expected: "analyze" });
    expect(ran.next).toBe("execute");
    expect((await producer.get(runId))?.stage).toBe("analyze");

    // the analyze job is still queued (its worker died): a new worker takes it as BullMQ's redelivery
    await t.open({ stages: ["analyze", "execute"], modes: ["read_only"] });
    const done = await waitForStatus((id) => producer!.get(id), runId, ["completed", "failed", "outcome_unknown"], 30_000);
    expect(done.status).toBe("completed");
    expect((await producer.details(runId))?.final?.result?.results).toEqual({ answer: 42 });
    // executed once: one run folder holds the flag the code writes
    expect(findFiles(env.PYFLEET_ARTIFACTS as string, "ran.flag").filter((f) => f.includes(runId))).toHaveLength(1);
  }, 60_000);
});
