import { readdirSync } from "node:fs";
import { basename, sep } from "node:path";
import { RedisKeys } from "@pyfleet/core";
import { type Fleet, MAX_WRITE_REQUEUES } from "@pyfleet/fleet";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveParked } from "./testing/approvals.js";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";

/**
 * A write executor lost before the code started (it took the job, then vanished): here a bare
 * BullMQ worker takes the job and is force-closed without finishing it, so its lock runs out and
 * the fleet's write executor finds the job stalled. No execution marker exists for the attempt.
 */
describe("a write job whose executor was lost before the code started", () => {
  let t: TestFleet;
  let producer: Fleet;
  let executor: Fleet | null = null;

  beforeAll(async () => {
    t = await startTestFleet({
      tag: "stalledw",
      stages: ["analyze", "execute"],
      modes: ["read_only"],
      allowFileWrites: true,
      configure: (c) => {
        c.queues.lock_seconds = 2;
        c.queues.stalled_check_seconds = 1;
      },
    });
    ({ fleet: producer } = t);
  });
  afterAll(() => t?.cleanup());

  /** Submits and approves a write run, then lets a worker that dies take its execute job. */
  async function approvedAndAbandoned(tag: string): Promise<string> {
    // Each execution leaves a file of its own (a fresh name, so a second execution in the same
    // attempt folder could not overwrite the first) in its working folder. The local backend's
    // sandbox hides host paths (its /tmp is private), so the file comes back to the run's attempt
    // folder when the run ends; the manifest's dry run leaves its own in `dry-run` (not counted).
    const code = `import epics, uuid\nopen("executed-" + uuid.uuid4().hex + ".${tag}", "w").close()\nepics.caput("SR:C01:HCM", 1)\nresults = {"tag": "${tag}"}\n`;
    const { runId } = await producer.submit({ user_query: "q", task_objective: `write ${tag}`, code, dry_run: true }, { requester: "carol" });
    await approveParked(producer, t.approvals().store, runId);
    const connection = new Redis(t.redis.url, { maxRetriesPerRequest: null });
    let taken!: () => void;
    const took = new Promise<void>((r) => (taken = r));
    const doomed = new Worker(
      "execute.write_access",
      () => {
        taken();
        return new Promise<never>(() => {});
      },
      // its own stall check would throttle everyone else's for its stalledInterval: keep that short too
      { connection, prefix: new RedisKeys(t.redis.prefix).bullPrefix, lockDuration: 1000, stalledInterval: 1000 },
    );
    await took;
    await doomed.close(true);
    await connection.quit();
    return runId;
  }

  /** Executions of the write run (the dry run that built its manifest not counted). */
  const ran = (tag: string) =>
    readdirSync(t.env.PYFLEET_ARTIFACTS as string, { recursive: true, encoding: "utf8" }).filter(
      (f) => !f.split(sep).includes("dry-run") && new RegExp(`^executed-[0-9a-f]{32}\\.${tag}$`).test(basename(f)),
    ).length;

  it("is enqueued again and runs exactly once (no marker: the code provably never started)", async () => {
    const runId = await approvedAndAbandoned("a");
    executor = await t.open({ stages: ["execute"], modes: ["write_access"] });
    const done = await waitForStatus((id) => producer.get(id), runId, ["completed", "failed", "outcome_unknown"], 30_000);
    expect(done.status).toBe("completed");
    expect(ran("a")).toBe(1);
    const audit = await t.approvals().audit.range();
    const requeued = audit.filter((e) => e.type === "write.requeued");
    expect(requeued).toHaveLength(1);
    expect(requeued[0]?.data).toMatchObject({ runId, attempt: 1, requeues: 1 });
    expect(audit.filter((e) => e.type === "write.started" && e.data.runId === runId)).toHaveLength(1);
  }, 60_000);

  it("fails without running once the executor was lost too often", async () => {
    await executor?.close();
    executor = null;
    const runId = await approvedAndAbandoned("b");
    await t.redis.redis.set(new RedisKeys(t.redis.prefix).writeRequeues(runId), String(MAX_WRITE_REQUEUES));
    executor = await t.open({ stages: ["execute"], modes: ["write_access"] });
    const done = await waitForStatus((id) => producer.get(id), runId, ["completed", "failed", "outcome_unknown"], 30_000);
    expect(done.status).toBe("failed");
    expect(done.error).toMatchObject({ code: "STAGE_RETRIES_EXHAUSTED" });
    expect(done.error?.message).toContain("it never ran");
    expect(ran("b")).toBe(0);
  }, 60_000);
});
