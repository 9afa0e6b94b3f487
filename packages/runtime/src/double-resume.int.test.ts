import { sep } from "node:path";
import { type Fleet, queueFor, RunStore, stageJobId } from "@pyfleet/fleet";
import type { Pipeline } from "@pyfleet/workflow";
import { isPyfleetError, RedisKeys } from "@pyfleet/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFiles } from "./testing/approvals.js";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";

// The approver's decision endpoint and its sweep can hold the same decision at once (the sweep
// sees a decision whose resume is still in flight as undelivered): only one may apply it.
describe("one decision delivered twice at once (two processes, real Redis, real executor)", () => {
  let t: TestFleet;
  let env: Record<string, string>;
  let fleets: [Fleet, Fleet, Fleet];
  /** The pipeline of the second (approver-like) process: a test applies a decision with it alone. */
  let approverPipeline: Pipeline;

  beforeAll(async () => {
    // The code writes a flag file.
    t = await startTestFleet({ tag: "double-resume", allowFileWrites: true, stages: ["analyze", "execute"], modes: ["read_only"] });
    ({ env } = t);
    const approver = await t.openRuntime({ modes: ["read_only"] });
    approverPipeline = approver.built.pipeline;
    fleets = [t.fleet, approver.fleet, await t.open({ stages: ["execute"], modes: ["write_access"] })];
  });
  afterAll(() => t?.cleanup());

  /** Code that writes a flag file in its run folder (counted after the run) and one PV. */
  const writeCode = (value: number) => `import epics\nopen("ran.flag", "w").write("ran")\nepics.caput("SR:C01:HCM", ${value})\nresults = {"ok": True}\n`;

  /** Submits write code, waits for it to park and records an approval; returns the signed decision. */
  const parkAndDecide = async (value: number, objective: string) => {
    const [producer] = fleets;
    const { store } = t.approvals();
    const { runId } = await producer.submit({ user_query: "q", task_objective: objective, code: writeCode(value), dry_run: true }, { requester: "carol" });
    const parked = await waitForStatus((id) => producer.get(id), runId, "awaiting_approval");
    const approvalId = parked.approvalId as string;
    const { released } = await store.decide(approvalId, { id: "alice", roles: ["approver"] }, { decision: "approve", codeHash: (await store.get(approvalId))?.codeHash as string, reason: "ok" });
    if (!released) throw new Error("the approval did not release the run");
    return { runId, parked, released };
  };

  /** The run completes and its code ran exactly once (flag files outside dry-run folders). */
  const expectCompletedOnce = async (runId: string) => {
    const done = await waitForStatus((id) => fleets[0].get(id), runId, ["outcome_unknown", "completed", "failed"], 30_000);
    expect(done.status).toBe("completed");
    const executed = findFiles(env.PYFLEET_ARTIFACTS as string, "ran.flag").filter((f) => f.includes(runId) && !f.split(sep).includes("dry-run"));
    expect(executed).toHaveLength(1);
  };

  it("applies it once: one resume wins, the other is refused, the write runs once and the run completes", async () => {
    const [producer, otherApprover] = fleets;
    const { runId, released } = await parkAndDecide(1, "set");
    const outcomes = await Promise.allSettled([producer.resumeRun(runId, released), otherApprover.resumeRun(runId, released)]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === "rejected");
    expect(refused && isPyfleetError(refused.reason) && refused.reason.code).toBe("STEP_NOT_PENDING");

    await expectCompletedOnce(runId);
    const entries = await t.approvals().audit.range();
    expect(entries.filter((e) => e.type === "write.started" && e.data.runId === runId)).toHaveLength(1);
    expect(entries.filter((e) => e.type === "write.duplicate_refused")).toHaveLength(0);
  }, 60_000);

  // The approver applied the decision to the checkpoint and was SIGKILLed before it recorded and
  // enqueued the next hop (chaos: approver killed mid-decision left runs awaiting_approval for
  // good): the sweep's resume must continue the run from the checkpoint, not refuse it forever.
  it("continues a run whose decision reached the checkpoint but whose next hop was never dispatched", async () => {
    const [producer, approver] = fleets;
    const { runId, parked, released } = await parkAndDecide(2, "set after a crash");
    // what the dead approver got done: the checkpoint moved past approve, the record did not
    await approverPipeline.resume({ threadId: parked.threadId, checkpointNs: parked.checkpointNs }, released);
    expect((await producer.get(runId))?.status).toBe("awaiting_approval");

    // the sweep delivers the stored decision again
    await approver.resumeRun(runId, released);
    await expectCompletedOnce(runId);
  }, 60_000);

  // The approver applied the decision and recorded the next hop (`queued` at execute, its job id
  // on the record) and was SIGKILLed before it added the job (chaos, CI of session 6: the run
  // stayed queued for good, every sweep refused with "approve is not pending"): the sweep's resume
  // must enqueue that hop under its job id.
  it("continues a run whose next hop was recorded but never enqueued", async () => {
    const [producer, approver] = fleets;
    const { runId, parked, released } = await parkAndDecide(3, "set after a crash at the hop");
    // what the dead approver got done: the checkpoint moved to execute and the record names the
    // hop's job, which was never added
    await approverPipeline.resume({ threadId: parked.threadId, checkpointNs: parked.checkpointNs }, released);
    const runs = new RunStore(t.redis.redis, new RedisKeys(t.prefix), 600);
    const step = ((await runs.getWithInternals(runId))?.internals.step ?? 0) + 1;
    const pendingJob = { queue: queueFor("execute", "write_access"), jobId: stageJobId(runId, step, "execute") };
    await runs.update(runId, { status: "queued", stage: "execute", step, pendingJob, mode: "write_access" }, new Date());
    await new Promise((r) => setTimeout(r, 1000));
    expect((await producer.get(runId))?.status).toBe("queued");

    // the sweep delivers the stored decision again
    expect(await approver.resumeRun(runId, released)).toBe("dispatched");
    await expectCompletedOnce(runId);
  }, 60_000);
});
