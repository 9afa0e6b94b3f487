/**
 * Crash scenarios with real processes killed by SIGKILL: producer right after accepting, approver
 * between decision and resume, generate worker mid-LLM-call, and (through the chaos benches)
 * read-only executors, analyze workers and write executors mid-write.
 */
import { codeHash } from "@pyfleet/core";
import { createRedisFixture, FakeOpenAIServer, type RedisFixture } from "@pyfleet/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedApp, spawnApp } from "./lib/apps.js";
import { ALICE, byStatus, chaosEnv, clientFor, fmt, runBench, summaryRow, WorkerSet, waitTerminal } from "./lib/fleet-env.js";
import { recordOutcome, secondsSince } from "./lib/outcomes.js";

const FILE = "chaos/crash.chaos.test.ts";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("crash scenarios (SIGKILL of real processes)", () => {
  let fx: RedisFixture;
  let env: Record<string, string>;
  let workers: WorkerSet;
  const apps: SpawnedApp[] = [];

  beforeAll(async () => {
    fx = await createRedisFixture("chaos-crash");
  });
  afterEach(async () => {
    await workers?.killAll();
    await Promise.allSettled(apps.splice(0).map((a) => a.kill()));
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it("producer SIGKILLed right after accepting: every accepted run completes", async () => {
    const t0 = Date.now();
    env = chaosEnv(`${fx.prefix}:p`, {}, { producer: { recover_after_seconds: 10 } });
    workers = new WorkerSet(env);
    await Promise.all([workers.spawn(["--stage", "analyze"]), workers.spawn(["--stage", "execute", "--mode", "read_only"])]);
    const ROUNDS = 3;
    const PER_ROUND = 12;
    const accepted: string[] = [];
    let unanswered = 0;
    let port: number | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const producer = await spawnApp("producer", env, port);
      apps.push(producer);
      port = producer.port;
      let killed = false;
      await Promise.all(
        Array.from({ length: PER_ROUND }, async (_, i) => {
          try {
            const r = await fetch(`${producer.url}/v1/runs`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ user_query: "chaos", task_objective: `producer kill ${round}.${i}`, code: `results = {"i": ${round * 100 + i}}` }),
            });
            if (r.status !== 202) throw new Error(`submit answered ${r.status}: ${await r.text()}`);
            accepted.push(((await r.json()) as { runId: string }).runId);
            // The first acknowledgement of the round kills the producer while the rest are in flight.
            if (!killed) {
              killed = true;
              producer.child.kill("SIGKILL");
            }
          } catch (err) {
            if (!/fetch failed|ECONNRESET|socket|other side closed/i.test(`${(err as Error).message} ${(err as Error).cause ?? ""}`)) throw err;
            unanswered++;
          }
        }),
      );
      await producer.exited;
      apps.splice(apps.indexOf(producer), 1);
    }
    const producer = await spawnApp("producer", env, port);
    apps.push(producer);
    const client = clientFor(producer.url);
    const done = await waitTerminal(client, accepted, 180_000, { what: "acknowledged runs", procs: [...workers.all, ...apps] });
    const listed = (await client.list({ limit: 500 })).runs;
    const extra = listed.filter((r) => !accepted.includes(r.runId));
    // Stored but never acknowledged: the restarted producer's recovery dispatches or fails them.
    // recovery acts on runs older than recover_after_seconds (10 s), checked every 5 s
    const extraDone = await waitTerminal(client, extra.map((r) => r.runId), 120_000, { what: "stored but unacknowledged runs", procs: [...workers.all, ...apps] });
    const extraStuck = extra.filter((r) => !["completed", "failed"].includes(extraDone.get(r.runId)?.status ?? "missing")).length;
    const counts = byStatus(done.values());
    const ok = accepted.length > 0 && counts.completed === accepted.length;
    recordOutcome({
      id: "crash-producer",
      group: "crash",
      scenario: "Producer SIGKILLed right after answering 202 (other submissions in flight), 3 times",
      expectation: "Every run the producer acknowledged (202) completes; a run stored but never acknowledged is dispatched again by a producer's recovery (or failed with a sentence if it never started), never left queued",
      outcome: `${accepted.length} acknowledged, ${fmt(counts)}; ${unanswered} submissions got no answer (connection lost), of which ${extra.length} had been stored anyway and ended ${fmt(byStatus(extraDone.values()))}, still open ${extraStuck}`,
      test: `${FILE} > producer SIGKILLed right after accepting`,
      passed: ok && extraStuck === 0,
      seconds: secondsSince(t0),
    });
    expect(accepted.length).toBeGreaterThanOrEqual(ROUNDS);
    expect(counts).toEqual({ completed: accepted.length });
    expect(extraStuck).toBe(0);
  });

  it("approver SIGKILLed between receiving a decision and resuming: the decision is not lost and counts once", async () => {
    const t0 = Date.now();
    env = chaosEnv(`${fx.prefix}:a`, {}, { approver: { tokens: [ALICE.entry], required_approvals: { read_only: 1, write_access: 1 } } });
    workers = new WorkerSet(env);
    await Promise.all([
      workers.spawn(["--stage", "analyze"]),
      // write runs are dry-run (preview) on a read-only executor before they park
      workers.spawn(["--stage", "execute", "--mode", "read_only"]),
      workers.spawn(["--stage", "execute", "--mode", "write_access"]),
    ]);
    const producer = await spawnApp("producer", env);
    apps.push(producer);
    const client = clientFor(producer.url);
    let approver = await spawnApp("approver", env);
    apps.push(approver);
    const N = 6;
    const runs: Array<{ runId: string; first: string; retry: string }> = [];
    for (let i = 0; i < N; i++) {
      const code = `import epics\nepics.caput("CHAOS:APPROVER:${i}", ${i})\nresults = {"i": ${i}}\n`;
      const { runId } = await client.submit({ user_query: "chaos", task_objective: `approver kill ${i}`, code, dry_run: true });
      let parked: { status: string; approvalId: string | null } | null = null;
      for (let t = 0; t < 300 && parked?.status !== "awaiting_approval"; t++) {
        const cur = await client.get(runId);
        parked = cur;
        if (cur.status !== "awaiting_approval") await sleep(100);
      }
      expect(parked?.status).toBe("awaiting_approval");
      const decide = () =>
        fetch(`${approver.url}/v1/approvals/${parked?.approvalId}/decision`, {
          method: "POST",
          headers: { authorization: `Bearer ${ALICE.token}`, "content-type": "application/json" },
          body: JSON.stringify({ decision: "approve", codeHash: codeHash(code), reason: "chaos" }),
        });
      // Kill the approver 0-60 ms after the decision left: before, during or after it stored and resumed.
      const pending = decide().then(
        (r) => `${r.status}`,
        () => "no answer",
      );
      await sleep((i * 12) % 61);
      approver.child.kill("SIGKILL");
      const first = await pending;
      await approver.exited;
      apps.splice(apps.indexOf(approver), 1);
      approver = await spawnApp("approver", env, approver.port);
      apps.push(approver);
      let retry = "-";
      if (first !== "200") {
        // The client did not get an answer it can trust: it retries the same vote.
        const r = await decide();
        retry = `${r.status}${r.status === 409 ? ` ${((await r.json()) as { error: { code: string } }).error.code}` : ""}`;
        expect([200, 409]).toContain(r.status);
      }
      runs.push({ runId, first, retry });
    }
    // A decision stored but not applied when the approver died is applied by a later sweep: after
    // the resume lease (15 s) and, when the dead approver held the sweep job, its BullMQ lock
    // (30 s) and stall check (30 s), plus the sweep period (5 s); then the write hop runs (under
    // 30 s on a loaded host). Doubled for a loaded 2-core host.
    const resumeBoundMs = 2 * (15_000 + 60_000 + 5_000 + 30_000);
    const done = await waitTerminal(client, runs.map((r) => r.runId), resumeBoundMs, { what: "approved runs", procs: [...workers.all, ...apps] });
    const votes: number[] = [];
    const writes: number[] = [];
    for (const r of runs) {
      const details = await client.get(r.runId);
      writes.push(details.final?.result?.recorded_writes?.length ?? 0);
      const ap = await fetch(`${approver.url}/v1/approvals/${details.approvalId}`, { headers: { authorization: `Bearer ${ALICE.token}` } });
      votes.push(((await ap.json()) as { approval: { votes: unknown[] } }).approval.votes.length);
    }
    const counts = byStatus(done.values());
    const ok = counts.completed === N && votes.every((v) => v === 1) && writes.every((w) => w === 1);
    recordOutcome({
      id: "crash-approver",
      group: "crash",
      scenario: `Approver SIGKILLed 0-60 ms after a decision was sent (${N} write runs); the client retries when it got no answer`,
      expectation: "The decision is not lost or the client gets an error and retries safely; a vote counts once; the write runs once",
      outcome: `${fmt(counts)}; first answers ${runs.map((r) => r.first).join("/")}, retries ${runs.map((r) => r.retry).join("/")}; votes per approval ${votes.join("/")}; recorded writes per run ${writes.join("/")}`,
      test: `${FILE} > approver SIGKILLed between receiving a decision and resuming`,
      passed: ok,
      seconds: secondsSince(t0),
    });
    expect(counts).toEqual({ completed: N });
    expect(votes).toEqual(Array(N).fill(1));
    expect(writes).toEqual(Array(N).fill(1));
  });

  it("generate worker SIGKILLed mid-step (waiting on the LLM): the run completes on a new worker", async () => {
    const t0 = Date.now();
    const llm = await FakeOpenAIServer.start();
    try {
      env = chaosEnv(`${fx.prefix}:g`, { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: "chaos-key" });
      workers = new WorkerSet(env);
      const [gen] = await Promise.all([
        workers.spawn(["--stage", "generate"]),
        workers.spawn(["--stage", "analyze"]),
        workers.spawn(["--stage", "execute", "--mode", "read_only"]),
      ]);
      const producer = await spawnApp("producer", env);
      apps.push(producer);
      const client = clientFor(producer.url);
      llm.enqueue({ fail: "hang", ms: 120_000 }, { reply: "```python\nresults = {'answer': 42}\n```" });
      const { runId } = await client.submit({ user_query: "answer", task_objective: "return the answer", expected_results: { answer: "int" } });
      for (let t = 0; t < 300 && llm.chatRequests.length === 0; t++) await sleep(100);
      expect(llm.chatRequests.length).toBe(1);
      await gen?.stop("SIGKILL");
      await workers.spawn(["--stage", "generate"]);
      const done = await waitTerminal(client, [runId], 120_000, { what: "runs", procs: [...workers.all, ...apps] });
      const rec = done.get(runId);
      const details = await client.get(runId);
      const ok = rec?.status === "completed" && details.final?.result?.results.answer === 42;
      recordOutcome({
        id: "crash-generate",
        group: "crash",
        scenario: "Generate worker SIGKILLed while its LLM call is in flight",
        expectation: "The generate job is redelivered to another worker and the run completes",
        outcome: `run ${rec?.status ?? "missing"} with results ${JSON.stringify(details.final?.result?.results ?? null)}; LLM calls ${llm.chatRequests.length} (1 lost with the worker, 1 answered)`,
        test: `${FILE} > generate worker SIGKILLed mid-step`,
        passed: ok,
        seconds: secondsSince(t0),
      });
      expect(rec?.status).toBe("completed");
      expect(details.final?.result?.results).toEqual({ answer: 42 });
      expect(llm.chatRequests.length).toBe(2);
    } finally {
      await llm.close();
    }
  });

  it("read-only executors SIGKILLed and analyze workers SIGKILLed mid-run (bench/chaos/run.ts): every run terminal, never twice on a live executor", async () => {
    const t0 = Date.now();
    const args = ["--runs", "30", "--seconds", "15", "--seed", "5", "--kill-analyzers"];
    const { code, out } = await runBench("run.ts", args, 840_000);
    const statuses = summaryRow(out, "terminal statuses");
    recordOutcome({
      id: "crash-read-only",
      group: "crash",
      scenario: "Read-only executors SIGKILLed mid-run (replaced after 0.3-2.3 s) and analyze workers SIGKILLed, every 0.8-2.5 s",
      expectation: "Every run terminal; repeated only after a SIGKILL (at-least-once, counted); each completed run returned its own result",
      outcome: `${statuses}; executions ${summaryRow(out, "executions logged")}; ${summaryRow(out, "chaos actions")}; violations ${summaryRow(out, "violations")}`,
      test: `${FILE} > read-only executors SIGKILLed (bench/chaos/run.ts ${args.join(" ")})`,
      scale: "30 runs over 15 s of chaos (bench default 120 over 30 s)",
      passed: code === 0,
      seconds: secondsSince(t0),
    });
    expect(code, out).toBe(0);
  });
});
