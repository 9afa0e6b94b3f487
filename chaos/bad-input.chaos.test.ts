/**
 * Bad input at every boundary, with fast-check: the producer and approver APIs of real processes
 * (random and mutated JSON, huge strings, deep nesting, invalid UTF-8, wrong content types, header
 * abuse), malformed BullMQ job payloads written straight into the stage queues, and corrupted run
 * records and checkpoints in Redis.
 */
import { codeHash, RedisKeys } from "@pyfleet/core";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { Queue } from "bullmq";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedApp, spawnApp } from "./lib/apps.js";
import { ALICE, chaosEnv, clientFor, WorkerSet, waitTerminal } from "./lib/fleet-env.js";
import { recordOutcome, secondsSince } from "./lib/outcomes.js";

const FILE = "chaos/bad-input.chaos.test.ts";
const RUNS = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "", "application/json; charset=latin1", "*/*"];
const validRun = { user_query: "q", task_objective: "t", code: "results = {}" };
const validDecision = { decision: "approve", codeHash: "a".repeat(64), reason: "ok" };

/** Replaces, removes or retypes one field of `base`, or nests it deeply. */
const mutated = (base: Record<string, unknown>) =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...Object.keys(base)), fc.jsonValue()).map(([k, v]) => ({ ...base, [k]: v })),
    fc.constantFrom(...Object.keys(base)).map((k) => Object.fromEntries(Object.entries(base).filter(([x]) => x !== k))),
    fc.tuple(fc.string({ maxLength: 20 }), fc.jsonValue()).map(([k, v]) => ({ ...base, [k]: v })),
    fc.integer({ min: 1, max: 3 }).map((mb) => ({ ...base, task_objective: "x".repeat(mb * 1024 * 1024) })),
  );

/** Valid fields around a value nested `depth` deep (built as text: no recursion in the test itself). */
const deep = (base: Record<string, unknown>) =>
  fc.integer({ min: 50, max: 5000 }).map((d) => `${JSON.stringify(base).slice(0, -1)},"capability_context_data":{"a":${"[".repeat(d)}1${"]".repeat(d)}}}`);

/** A request body: JSON text, mutated valid JSON, raw bytes (invalid UTF-8) or nothing. */
const body = (base: Record<string, unknown>) =>
  fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    mutated(base).map((v) => JSON.stringify(v)),
    deep(base),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from([0x7b, 0x22, 0xff, 0xfe, ...b])),
    fc.string({ maxLength: 200 }),
    fc.constant(undefined),
  );

const headers = fc.record({
  "content-type": fc.constantFrom(...CONTENT_TYPES),
  authorization: fc.oneof(fc.constant(`Bearer ${ALICE.token}`), fc.string({ maxLength: 100 }).map((s) => `Bearer ${s.replace(/[^\x20-\x7e]/g, "")}`), fc.constant("Basic Zm9vOmJhcg=="), fc.constant("Bearer ".padEnd(8000, "A"))),
  "x-extra": fc.string({ maxLength: 2000 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
});

/** Sends one request; resolves with its status and whether a 4xx/5xx had the JSON error shape. */
async function send(url: string, method: string, h: Record<string, string>, b: string | Buffer | undefined): Promise<{ status: number; shaped: boolean; text: string }> {
  const init: RequestInit = { method, headers: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== "")), signal: AbortSignal.timeout(20_000) };
  if (b !== undefined && method !== "GET") init.body = b;
  const r = await fetch(url, init);
  const text = await r.text();
  let shaped = r.status < 400;
  try {
    shaped ||= typeof (JSON.parse(text) as { error?: { code?: unknown } }).error?.code === "string";
  } catch {
    shaped = false;
  }
  return { status: r.status, shaped, text: text.slice(0, 300) };
}

describe("bad input at every boundary (fast-check)", () => {
  let fx: RedisFixture;
  let env: Record<string, string>;
  let workers: WorkerSet;
  let producer: SpawnedApp;
  let approver: SpawnedApp;

  beforeAll(async () => {
    fx = await createRedisFixture("chaos-fuzz");
    env = chaosEnv(fx.prefix);
    workers = new WorkerSet(env);
    await Promise.all([workers.spawn(["--stage", "analyze"]), workers.spawn(["--stage", "execute", "--mode", "read_only"]), workers.spawn(["--stage", "execute", "--mode", "write_access"])]);
    [producer, approver] = await Promise.all([spawnApp("producer", env), spawnApp("approver", env)]);
  });
  afterAll(async () => {
    await workers?.killAll();
    await Promise.allSettled([producer?.kill(), approver?.kill()]);
    await fx?.cleanup();
  });

  it("producer and approver APIs: never a 5xx for bad input, every error is JSON with a code, the processes keep serving", async () => {
    const t0 = Date.now();
    const statuses: Record<string, number> = {};
    const bad: string[] = [];
    const note = (label: string, r: { status: number; shaped: boolean; text: string }) => {
      statuses[`${label} ${r.status}`] = (statuses[`${label} ${r.status}`] ?? 0) + 1;
      if (r.status >= 500 || !r.shaped) bad.push(`${label} ${r.status}: ${r.text}`);
      return r.status < 500 && r.shaped;
    };
    const producerPaths = fc.oneof(fc.constant("/v1/runs"), fc.string({ maxLength: 40 }).map((s) => `/v1/runs/${encodeURIComponent(s)}`), fc.string({ maxLength: 40 }).map((s) => `/v1/runs/${encodeURIComponent(s)}/cancel`));
    await fc.assert(
      fc.asyncProperty(producerPaths, fc.constantFrom("POST", "GET"), headers, body(validRun), async (path, method, h, b) =>
        note("producer", await send(`${producer.url}${path}`, method, h, b)),
      ),
      { numRuns: RUNS, seed: 20 },
    );
    const approvalPaths = fc.string({ maxLength: 60 }).map((s) => `/v1/approvals/${encodeURIComponent(s)}/decision`);
    await fc.assert(
      fc.asyncProperty(fc.oneof(approvalPaths, fc.constant("/v1/approvals"), fc.constant("/v1/runs/x/reconcile")), fc.constantFrom("POST", "GET"), headers, body(validDecision), async (path, method, h, b) =>
        note("approver", await send(`${approver.url}${path}`, method, h, b)),
      ),
      { numRuns: RUNS, seed: 21 },
    );
    const alive = [producer, approver].every((a) => a.child.exitCode === null);
    const client = clientFor(producer.url);
    const { runId } = await client.submit({ ...validRun, code: "results = {'ok': 1}" });
    const after = (await waitTerminal(client, [runId], 60_000)).get(runId);
    recordOutcome({
      id: "input-http",
      group: "bad input",
      scenario: `fast-check: ${RUNS} random requests each to the producer and the approver processes (random/mutated JSON, 1-3 MB strings, nesting to depth 5000, invalid UTF-8, 9 content types, random and 8 kB bearer tokens)`,
      expectation: "Never a 5xx for bad input, every error a JSON body with a code, the processes keep serving",
      outcome: `statuses: ${Object.entries(statuses).map(([k, n]) => `${k} ×${n}`).join(", ")}; 5xx or unshaped ${bad.length}; processes alive ${alive}; a valid run afterwards ${after?.status}`,
      test: `${FILE} > producer and approver APIs`,
      passed: bad.length === 0 && alive && after?.status === "completed",
      seconds: secondsSince(t0),
    });
    expect(bad).toEqual([]);
    expect(alive).toBe(true);
    expect(after?.status).toBe("completed");
  });

  it("malformed BullMQ job payloads: each moved to the failed set with a reason, workers keep serving", async () => {
    const t0 = Date.now();
    const keys = new RedisKeys(fx.prefix);
    const names = ["analyze", "execute.read_only", "execute.write_access"];
    const queues = names.map((n) => new Queue(n, { connection: fx.connect(), prefix: keys.bullPrefix }));
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record({ runId: fc.string(), threadId: fc.string(), attempt: fc.oneof(fc.integer(), fc.string()), node: fc.string() }, { requiredKeys: [] }),
      fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue(), { maxKeys: 8 }),
    );
    const samples = fc.sample(payload, { numRuns: 60, seed: 22 });
    const added: Array<{ queue: Queue; id: string }> = [];
    for (const [i, data] of samples.entries()) {
      const queue = queues[i % queues.length] as Queue;
      const job = await queue.add("fuzz", data as object, { jobId: `fuzz-${i}`, attempts: 1 });
      added.push({ queue, id: job.id as string });
    }
    const deadline = Date.now() + 60_000;
    let states: string[] = [];
    while (Date.now() < deadline) {
      states = await Promise.all(added.map(async (a) => (await a.queue.getJobState(a.id)) as string));
      if (states.every((s) => s === "failed" || s === "completed" || s === "unknown")) break;
      await sleep(500);
    }
    const reasons = await Promise.all(added.map(async (a) => (await a.queue.getJob(a.id))?.failedReason ?? ""));
    const counts: Record<string, number> = {};
    for (const s of states) counts[s] = (counts[s] ?? 0) + 1;
    const alive = [...workers.all].filter((w) => w.child.exitCode === null && w.child.signalCode === null).length;
    const client = clientFor(producer.url);
    const { runId } = await client.submit({ ...validRun, code: "results = {'after': 1}" });
    const after = (await waitTerminal(client, [runId], 60_000)).get(runId);
    await Promise.all(queues.map((q) => q.close()));
    const noReason = states.filter((s, i) => s === "failed" && !reasons[i]).length;
    const example = reasons.find(Boolean)?.slice(0, 160) ?? "";
    recordOutcome({
      id: "input-jobs",
      group: "bad input",
      scenario: `${samples.length} fast-check payloads (random JSON, near-miss job shapes) added straight into the analyze and execute queues`,
      expectation: "A worker moves each to the failed set with a reason and keeps serving",
      outcome: `job states ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(", ")}; failed without a reason ${noReason}; e.g. "${example}"; workers alive ${alive}/3; a valid run afterwards ${after?.status}`,
      test: `${FILE} > malformed BullMQ job payloads`,
      passed: counts.failed === samples.length && noReason === 0 && alive === 3 && after?.status === "completed",
      seconds: secondsSince(t0),
    });
    expect(counts).toEqual({ failed: samples.length });
    expect(noReason).toBe(0);
    expect(alive).toBe(3);
    expect(after?.status).toBe("completed");
  });

  it("corrupted run records and checkpoints: a clear error for that run, the fleet unaffected", async () => {
    const t0 = Date.now();
    const keys = new RedisKeys(fx.prefix);
    const client = clientFor(producer.url);
    // A finished run whose record is overwritten with garbage.
    const a = await client.submit({ ...validRun, code: "results = {'a': 1}" });
    await waitTerminal(client, [a.runId], 60_000);
    const type = await fx.redis.type(keys.run(a.runId));
    if (type === "hash") {
      const fields = await fx.redis.hkeys(keys.run(a.runId));
      for (const f of fields) await fx.redis.hset(keys.run(a.runId), f, "\u0000{not json");
    } else await fx.redis.set(keys.run(a.runId), "\u0000{not json");
    const getA = await fetch(`${producer.url}/v1/runs/${a.runId}`);
    const getABody = (await getA.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
    const listed = await fetch(`${producer.url}/v1/runs?limit=50`);

    // A write run parked for approval whose checkpoints are overwritten, then approved.
    const code = "import epics\nepics.caput('CHAOS:CORRUPT', 1)\nresults = {'b': 1}\n";
    const b = await client.submit({ user_query: "q", task_objective: "corrupt checkpoint", code, dry_run: true });
    let parked = await client.get(b.runId);
    for (let t = 0; t < 200 && parked.status !== "awaiting_approval"; t++) {
      await sleep(100);
      parked = await client.get(b.runId);
    }
    const cpKeys = (await fx.redis.keys(`${keys.checkpointPrefix}*`)).filter((k) => k.includes(parked.threadId));
    for (const k of cpKeys) {
      const t = await fx.redis.type(k);
      if (t === "string") await fx.redis.set(k, "garbage");
      else if (t === "hash") for (const f of await fx.redis.hkeys(k)) await fx.redis.hset(k, f, "garbage");
    }
    const decided = await fetch(`${approver.url}/v1/approvals/${parked.approvalId}/decision`, {
      method: "POST",
      headers: { authorization: `Bearer ${ALICE.token}`, "content-type": "application/json" },
      body: JSON.stringify({ decision: "approve", codeHash: codeHash(code), reason: "chaos" }),
    });
    // The run's record is intact; its details (which read the checkpoint) are not.
    let bEnd = null as Awaited<ReturnType<typeof client.list>>["runs"][number] | null;
    for (let t = 0; t < 240 && !(bEnd && ["failed", "completed"].includes(bEnd.status)); t++) {
      bEnd = (await client.list({ limit: 50 })).runs.find((r) => r.runId === b.runId) ?? null;
      await sleep(250);
    }
    const c = await client.submit({ ...validRun, code: "results = {'c': 1}" });
    const cEnd = (await waitTerminal(client, [c.runId], 60_000)).get(c.runId);
    const alive = [producer, approver, ...workers.all].every((p) => p.child.exitCode === null);
    recordOutcome({
      id: "input-corrupt",
      group: "bad input",
      scenario: `Run record overwritten with garbage; the ${cpKeys.length} checkpoint keys of a parked write run overwritten, then the run approved`,
      expectation: "A clear error for that run (never a crash), the fleet unaffected",
      outcome: `GET of the corrupted run: ${getA.status} ${getABody?.error?.code ?? ""} "${getABody?.error?.message?.slice(0, 120) ?? ""}"; list ${listed.status}; approving the run with corrupted checkpoints: ${decided.status}, it ended ${bEnd?.status ?? "missing"} ${bEnd?.error?.code ?? ""}; next run ${cEnd?.status}; processes alive ${alive}`,
      test: `${FILE} > corrupted run records and checkpoints`,
      passed: getABody?.error?.code === "RECORD_CORRUPT" && listed.status === 200 && bEnd?.status === "failed" && cEnd?.status === "completed" && alive,
      seconds: secondsSince(t0),
    });
    expect(cpKeys.length).toBeGreaterThan(0);
    // Not bad input: stored data is unreadable. A 500 that names the run and says what to do.
    expect(getABody?.error?.code).toBe("RECORD_CORRUPT");
    expect(getABody?.error?.message).toContain(a.runId);
    expect(listed.status).toBe(200);
    expect(bEnd?.status).toBe("failed");
    expect(bEnd?.error?.code).toBe("RECORD_CORRUPT");
    expect(cEnd?.status).toBe("completed");
    expect(alive).toBe(true);
  });
});
