import type { RedisFixture } from "@pyfleet/testing";
import { DecisionSigner, Dispatcher, type Fleet, RunStore, stageJobId } from "@pyfleet/fleet";
import { parseSigningKeys, type PyfleetConfig, RedisKeys } from "@pyfleet/core";
import { afterEach, describe, expect, it } from "vitest";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";

const request = (code: string, extra: Record<string, unknown> = {}) => ({
  user_query: "test",
  task_objective: "test run",
  expected_results: {},
  code,
  ...extra,
});

/** A signed approval of the run's pending approval, as the approver would produce it. */
async function approval(fleet: Fleet, runId: string, signingKeys: string) {
  const rec = await fleet.get(runId);
  const req = (await fleet.details(runId))!.approval!;
  const signer = new DecisionSigner(parseSigningKeys(signingKeys), "k1");
  const now = new Date();
  return signer.sign({
    approvalId: rec!.approvalId!,
    runId,
    attempt: req.attempt,
    codeHash: req.codeHash,
    mode: "write_access",
    decision: "approve",
    approvers: ["alice"],
    reason: "checked",
    writePvs: req.manifest?.pvs ?? [],
    manifestHash: req.manifest?.hash ?? null,
    expiresAt: new Date(now.getTime() + 60_000).toISOString(),
    signedAt: now.toISOString(),
  });
}

describe("fleet (in-process, real Redis and local Python)", () => {
  const open: Array<{ close(): Promise<void> }> = [];
  let t: TestFleet | undefined;
  let fx: RedisFixture;
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    await t?.cleanup();
    t = undefined;
  });

  const executes = (stages: Array<"generate" | "analyze" | "execute">) => (stages.includes("execute") ? (["read_only", "write_access"] as const) : []);

  /** The test's fleet on its own Redis prefix (a second call opens another process on it). */
  async function start(stages: Array<"generate" | "analyze" | "execute">, configure?: (c: PyfleetConfig) => void) {
    if (t) return { fleet: await t.open({ stages, modes: executes(stages) }), config: t.config, keys: t.keys };
    t = await startTestFleet({ tag: "fleet", stages, modes: executes(stages), ...(configure ? { configure } : {}) });
    fx = t.redis;
    return { fleet: t.fleet, config: t.config, keys: t.keys };
  }

  const keysOf = () => new RedisKeys(fx.prefix);

  /** A dispatcher of the test's own on the fleet's queues (to enqueue hops by hand). */
  async function dispatcherFor(config: PyfleetConfig): Promise<Dispatcher> {
    const dispatcher = new Dispatcher(fx.redis, keysOf().bullPrefix, config);
    open.push(dispatcher);
    return dispatcher;
  }

  it("runs a provided-code run to completed, with record, ordered events and retention TTLs", async () => {
    const { fleet } = await start(["generate", "analyze", "execute"]);
    const run = await fleet.submit(request("results = {'answer': 6 * 7}", { expected_results: { answer: "int" } }));
    const rec = await waitForStatus((id) => fleet.get(id), run.runId, "completed");
    expect(rec).toMatchObject({ threadId: `run-${run.runId}`, mode: "read_only", stage: null, error: null });
    expect(rec.resultSummary?.resultKeys).toContain("answer");
    const details = await fleet.details(run.runId);
    expect(details?.final?.result?.results.answer).toBe(42);
    // `finished` is written right after the record turns terminal.
    await expect.poll(async () => (await fleet.events(run.runId)).at(-1)?.type).toBe("finished");
    const events = await fleet.events(run.runId);
    const statuses = events.filter((e) => e.type === "status").map((e) => e.data.status);
    expect(statuses[0]).toBe("queued");
    expect(statuses).toContain("analyzing");
    expect(statuses).toContain("executing");
    // the end's two events (appended by the finish script) carry the final record's summary
    expect(events.slice(-2).map((e) => [e.type, e.data.status])).toEqual([
      ["status", "completed"],
      ["finished", "completed"],
    ]);
    expect(events.at(-1)?.data).toEqual({ status: "completed", resultSummary: rec.resultSummary, error: null });
    expect(await fx.redis.ttl(keysOf().run(run.runId))).toBeGreaterThan(0);
    expect(await fx.redis.ttl(keysOf().runEvents(run.runId))).toBeGreaterThan(0);
    const cpKeys: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await fx.redis.scan(cursor, "MATCH", `${keysOf().checkpointPrefix}*${run.runId}*`, "COUNT", 1000);
      cursor = next;
      cpKeys.push(...keys);
    } while (cursor !== "0");
    expect(cpKeys.length).toBeGreaterThan(0);
    for (const k of cpKeys) expect(await fx.redis.ttl(k), k).toBeGreaterThan(0);
  });

  it("treats a second enqueue of the same hop as a no-op and drops a stale job", async () => {
    const { fleet: producer, config } = await start([]);
    const run = await producer.submit(request("results = {'x': 1}"));
    const job = { runId: run.runId, threadId: run.threadId, checkpointNs: "", node: "analyze" as const, step: 0, mode: null };
    const dispatcher = await dispatcherFor(config);
    await dispatcher.dispatch(job);
    await dispatcher.dispatch(job);
    expect(await dispatcher.queue("analyze").getJobCounts("waiting")).toEqual({ waiting: 1 });
    const { fleet: worker } = await start(["analyze", "execute"]);
    await waitForStatus((id) => worker.get(id), run.runId, "completed");
    // A late duplicate of an old hop (different id after retention) is dropped, the run stays completed.
    await dispatcher.dispatch({ ...job, step: 7 });
    const late = await dispatcher.queue("analyze").getJob(stageJobId(run.runId, 7, "analyze"));
    await expect.poll(async () => late?.getState(), { timeout: 10_000 }).toBe("completed");
    expect(await late?.getState()).toBe("completed");
    expect((await worker.get(run.runId))?.status).toBe("completed");
  });

  it("cancels a queued run: its job is dropped and it ends cancelled", async () => {
    const { fleet } = await start([]);
    const run = await fleet.submit(request("results = {}"));
    const rec = await fleet.cancel(run.runId);
    expect(rec.status).toBe("cancelled");
    expect((await fleet.queueCounts()).analyze.waiting).toBe(0);
    expect((await fleet.events(run.runId)).at(-1)?.data.status).toBe("cancelled");
    await expect(fleet.cancel("no-such-run")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("ends a run cancelled when its job is delivered after the cancel, without running its node", async () => {
    const { fleet: producer } = await start([]);
    const run = await producer.submit(request("results = {'x': 1}"));
    // a cancel that found the job already taken by a worker sets the flag only (no queued job to drop)
    await new RunStore(fx.redis, keysOf(), 60).requestCancel(run.runId, new Date());
    const { fleet: worker } = await start(["analyze", "execute"]);
    await waitForStatus((id) => worker.get(id), run.runId, "cancelled");
    // the record is final before the run's last events are written
    await expect.poll(async () => (await worker.events(run.runId)).at(-1)?.type, { timeout: 10_000 }).toBe("finished");
    const events = await worker.events(run.runId);
    expect(events.filter((e) => e.type === "analysis" || (e.type === "status" && e.data.status === "analyzing"))).toEqual([]);
    expect(events.at(-1)?.data.status).toBe("cancelled");
  });

  it("interrupts a running execution on cancel", async () => {
    const { fleet } = await start(["analyze", "execute"]);
    const run = await fleet.submit(request("import time\ntime.sleep(30)\nresults = {}"));
    await waitForStatus((id) => fleet.get(id), run.runId, "executing");
    const t0 = Date.now();
    await fleet.cancel(run.runId);
    const rec = await waitForStatus((id) => fleet.get(id), run.runId, "cancelled", 10_000);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(rec.error?.code).toBe("CANCELLED");
  });

  it("parks an EPICS write at awaiting_approval and finishes it after a signed approval", async () => {
    const { fleet, keys } = await start(["analyze", "execute"]);
    const code = "import epics\nepics.caput('DEMO:SETPOINT', 1.5)\nresults = {'written': True}";
    const run = await fleet.submit(request(code, { dry_run: true }));
    const parked = await waitForStatus((id) => fleet.get(id), run.runId, "awaiting_approval");
    expect(parked.mode).toBe("write_access");
    expect(parked.approvalId).toBeTruthy();
    const decision = await approval(fleet, run.runId, keys.PYFLEET_SIGNING_KEYS);
    expect(await fleet.resumeRun(run.runId, decision)).toBe("dispatched");
    const done = await waitForStatus((id) => fleet.get(id), run.runId, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    const final = await fleet.details(run.runId);
    expect(final?.final?.result?.recorded_writes.map((w) => w.pv)).toEqual(["DEMO:SETPOINT"]);
    await expect(fleet.resumeRun(run.runId, decision)).rejects.toMatchObject({ code: "STEP_NOT_PENDING" });
  });

  it("a decision that arrives while the run is still being parked waits for the run record", async () => {
    const { fleet, keys } = await start(["analyze", "execute"]);
    const run = await fleet.submit(request("import epics\nepics.caput('DEMO:SETPOINT', 2)\nresults = {}", { dry_run: true }));
    await waitForStatus((id) => fleet.get(id), run.runId, "awaiting_approval");
    const decision = await approval(fleet, run.runId, keys.PYFLEET_SIGNING_KEYS);
    // Back to the moment between the approval record and the run record of parking.
    const runs = new RunStore(fx.redis, keysOf(), 600);
    await runs.update(run.runId, { status: "analyzing" }, new Date());
    const parking = new Promise((r) => setTimeout(r, 300)).then(() => runs.update(run.runId, { status: "awaiting_approval" }, new Date()));
    expect(await fleet.resumeRun(run.runId, decision)).toBe("dispatched");
    await parking;
    expect((await waitForStatus((id) => fleet.get(id), run.runId, ["completed", "failed"])).status).toBe("completed");
  });

  it("cancels a run parked for approval and cancels its approval record", async () => {
    const { fleet } = await start(["analyze", "execute"]);
    const run = await fleet.submit(request("import epics\nepics.caput('DEMO:X', 1)\nresults = {}", { dry_run: true }));
    const parked = await waitForStatus((id) => fleet.get(id), run.runId, "awaiting_approval");
    expect((await fleet.cancel(run.runId)).status).toBe("cancelled");
    const approval = JSON.parse((await fx.redis.get(keysOf().approval(parked.approvalId!))) ?? "{}");
    expect(approval.status).toBe("cancelled");
    expect(await fx.redis.zscore(keysOf().approvalsPending(), parked.approvalId!)).toBeNull();
  });

  it("fails a run with the cause after the last infrastructure retry", async () => {
    const { fleet } = await start(["analyze", "execute"], (c) => {
      c.queues.execute_read_only.attempts = 2;
      c.queues.analyze.attempts = 2; // execute continues in-process inside the analyze job here
    });
    const run = await fleet.submit(request("results = {}", { execution_method: "container" }));
    const rec = await waitForStatus((id) => fleet.get(id), run.runId, "failed", 30_000);
    expect(rec.error?.code).toBe("STAGE_RETRIES_EXHAUSTED");
    expect(rec.error?.message).toMatch(/after 2 attempt/);
  });
});
