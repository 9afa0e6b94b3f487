import { parseSigningKeys } from "@pyfleet/core";
import { DecisionSigner, type Fleet } from "@pyfleet/fleet";
import { type SpawnedWorker, spawnWorker, startTestFleet, type TestFleet, waitForStatus } from "@pyfleet/runtime/testing";
import type { FakeOpenAIServer } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const req = (code: string | undefined, extra: Record<string, unknown> = {}) => ({
  user_query: "q",
  task_objective: "distribution test",
  ...(code === undefined ? {} : { code }),
  ...extra,
});

/** Jobs a worker finished on a queue, read from its /metrics. */
async function jobsDone(w: SpawnedWorker, queue: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text();
  const m = new RegExp(`pyfleet_jobs_total\\{queue="${queue.replace(".", "\\.")}",outcome="completed"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

describe("a fleet of worker processes on one Redis", () => {
  let t: TestFleet;
  let env: Record<string, string>;
  let fleet: Fleet;
  let fake: FakeOpenAIServer;
  const workers: SpawnedWorker[] = [];
  let generate: SpawnedWorker;
  let analyze: SpawnedWorker;
  let executors: SpawnedWorker[];

  beforeAll(async () => {
    t = await startTestFleet({ tag: "dist", llm: true });
    ({ fleet, env } = t);
    fake = t.llm as FakeOpenAIServer;
    [generate, analyze, ...executors] = await Promise.all([
      spawnWorker(["--stage", "generate"], env),
      spawnWorker(["--stage", "analyze"], env),
      spawnWorker(["--stage", "execute", "--mode", "read_only"], env),
    ]);
    workers.push(generate, analyze, ...executors);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop("SIGTERM")));
    await t?.cleanup();
  });

  it("runs generate → analyze → execute → finalize with one process per stage", async () => {
    fake.enqueue({ reply: "Here you go:\n```python\nimport statistics\nresults = {'mean': statistics.mean([1, 2, 3])}\n```" });
    const run = await fleet.submit(req(undefined, { expected_results: { mean: "float" } }));
    const rec = await waitForStatus((id) => fleet.get(id), run.runId, ["completed", "failed"], 60_000);
    expect(rec.status).toBe("completed");
    expect((await fleet.details(run.runId))?.final?.result?.results.mean).toBe(2);
    expect(fake.chatRequests).toHaveLength(1);
    expect(await jobsDone(generate, "generate")).toBe(1);
    expect(await jobsDone(analyze, "analyze")).toBeGreaterThanOrEqual(1);
    const stages = (await fleet.events(run.runId)).filter((e) => e.type === "status").map((e) => e.data.status);
    expect(stages).toEqual(expect.arrayContaining(["generating", "analyzing", "executing", "completed"]));
    const base = `http://127.0.0.1:${executors[0]!.metricsPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const state of ["waiting", "active", "delayed", "prioritized", "waiting-children", "failed", "completed"]) {
      expect(metrics).toContain(`pyfleet_queue_jobs{queue="execute.write_access",state="${state}"}`);
    }
    const gen = await (await fetch(`http://127.0.0.1:${generate.metricsPort}/metrics`)).text();
    expect(gen).toMatch(/pyfleet_stage_duration_seconds_count\{node="generate",queue="generate",outcome="ok"\} 1/);
  });

  it("never lets a read-only executor take a write-mode run", async () => {
    const code = "import epics\nepics.caput('DEMO:SETPOINT', 2.0)\nresults = {'ok': True}";
    const run = await fleet.submit(req(code, { dry_run: true }));
    const parked = await waitForStatus((id) => fleet.get(id), run.runId, "awaiting_approval", 30_000);
    const approval = (await fleet.details(run.runId))!.approval!;
    const now = Date.now();
    const decision = new DecisionSigner(parseSigningKeys(t.keys.PYFLEET_SIGNING_KEYS), "k1").sign({
      approvalId: parked.approvalId!,
      runId: run.runId,
      attempt: approval.attempt,
      codeHash: approval.codeHash,
      mode: "write_access",
      decision: "approve",
      approvers: ["alice"],
      reason: "test",
      writePvs: approval.manifest?.pvs ?? [],
      manifestHash: approval.manifest?.hash ?? null,
      expiresAt: new Date(now + 60_000).toISOString(),
      signedAt: new Date(now).toISOString(),
    });
    await fleet.resumeRun(run.runId, decision);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await fleet.get(run.runId))?.status).toBe("queued");
    expect((await fleet.queueCounts())["execute.write_access"].waiting).toBe(1);
    const writer = await spawnWorker(["--stage", "execute", "--mode", "write_access"], env);
    workers.push(writer);
    expect((await waitForStatus((id) => fleet.get(id), run.runId, ["completed", "failed"], 30_000)).status).toBe("completed");
    await expect.poll(() => jobsDone(writer, "execute.write_access"), { timeout: 5000 }).toBe(1);
  });
});

describe("graceful shutdown of a worker process", () => {
  it("finishes the in-flight run on SIGTERM, exits, and leaves queued work for the next worker", async () => {
    // A worker serving generate needs an LLM endpoint configured to start; these provided-code runs never call it.
    const t = await startTestFleet({ tag: "drain", env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } });
    const { fleet, env } = t;
    try {
      const w = await spawnWorker(["--stage", "all", "--mode", "read_only", "--concurrency", "1"], env);
      const slow = await fleet.submit(req("import time\ntime.sleep(1.5)\nresults = {'slept': True}"));
      await waitForStatus((id) => fleet.get(id), slow.runId, "executing", 30_000);
      const exited = w.stop("SIGTERM");
      await expect.poll(() => w.output(), { timeout: 5000 }).toMatch(/SIGTERM/);
      const queued = await fleet.submit(req("results = {'second': True}"));
      expect(await exited).toBe(0);
      expect(w.output()).toMatch(/finishing 1 in-flight job/);
      expect((await fleet.get(slow.runId))?.status).toBe("completed");
      expect((await fleet.get(queued.runId))?.status).toBe("queued");
      const next = await spawnWorker(["--stage", "all", "--mode", "read_only"], env);
      try {
        expect((await waitForStatus((id) => fleet.get(id), queued.runId, ["completed", "failed"], 30_000)).status).toBe("completed");
      } finally {
        await next.stop();
      }
    } finally {
      await t.cleanup();
    }
  });
});
