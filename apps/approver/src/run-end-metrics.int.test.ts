/**
 * Every run ending is counted once fleet-wide: `pyfleet_runs_finished_total` scraped over HTTP
 * from a real producer process (it ends a queued run it cancels), a real worker process (it ends
 * the runs it works) and the approver (it ends the runs it rejects and expires); each run's
 * final status appears in exactly one process's counter.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { codeHash, PROJECT_ROOT, RedisKeys } from "@pyfleet/core";
import { type SpawnedWorker, spawnWorker, startTestFleet, type TestFleet } from "@pyfleet/runtime/testing";
import type { RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApproverMetrics } from "./approver-metrics.js";
import type { RunningApprover } from "./start-approver.js";
import { startTestApprover } from "./test-approver.test-helpers.js";

const WRITE = (v: number) => `import epics\nepics.caput('SR:C01:HCM', ${v})\nresults = {'set': ${v}}\n`;
const TOKEN = "bob-token-00001";

/** The sum of the samples of `name` whose labels include `labels` (0 when none). */
function sum(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m && m[1] === name && want.every((w) => (m[2] ?? "").split(",").includes(w))) total += Number(m[3]);
  }
  return total;
}

/** `pyfleet-producer --port 0` as npm links it; resolves with its URL once it printed its ready line. */
function spawnProducer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "node_modules", ".bin", "pyfleet-producer"), "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`producer not ready after 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /pyfleet-producer listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`producer exited with ${code} before it was ready:\n${out}`)));
  });
}

describe("runs finished, counted once across producer, worker and approver", () => {
  let t: TestFleet;
  let fx: RedisFixture;
  let producer: { child: ChildProcess; url: string };
  let worker: SpawnedWorker;
  let approver: RunningApprover;
  const ids: Record<"cancelled" | "rejected" | "expired" | "completed", string> = { cancelled: "", rejected: "", expired: "", completed: "" };
  const scraped = { producer: "", worker: "", approver: "" };

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${producer.url}${path}`, { method, ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }) });
    return (await r.json()) as { runId: string; status: string; approvalId?: string };
  };
  const submit = async (code: string) => (await api("POST", "/v1/runs", { user_query: "q", task_objective: "count run ends", code, dry_run: true })).runId;
  const until = async (runId: string, status: string) => {
    for (let waited = 0; waited < 60_000; waited += 100) {
      const rec = await api("GET", `/v1/runs/${runId}`);
      if (rec.status === status) return rec;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${runId} never reached ${status}`);
  };

  beforeAll(async () => {
    // the approver's fleet: it serves no stage, so it ends no run before its approver starts
    const metrics = createApproverMetrics();
    t = await startTestFleet({ tag: "runend", decides: true, observer: metrics.observer });
    const { env, config } = t;
    fx = t.redis;
    producer = await spawnProducer(env);
    // no worker yet: the run stays queued, and the producer's cancel is what ends it
    ids.cancelled = await submit("results = {'never': 'ran'}");
    expect((await api("POST", `/v1/runs/${ids.cancelled}/cancel`)).status).toBe("cancelled");

    approver = await startTestApprover(config, t.runtime, env, { [TOKEN]: { identity: "bob", roles: ["approver"] } }, metrics.registry);
    worker = await spawnWorker(["--stage", "all", "--mode", "read_only"], env);

    ids.completed = await submit("results = {'x': 1}");
    ids.rejected = await submit(WRITE(1));
    ids.expired = await submit(WRITE(2));
    await until(ids.completed, "completed");
    const toReject = await until(ids.rejected, "awaiting_approval");
    const r = await fetch(`${approver.url}/v1/approvals/${toReject.approvalId}/decision`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ decision: "reject", codeHash: codeHash(WRITE(1)), reason: "not now" }),
    });
    expect(r.status, await r.clone().text()).toBe(200);
    await until(ids.rejected, "rejected");
    // Let time pass for this approval only (as the clock would), then sweep: the approver expires it.
    const toExpire = await until(ids.expired, "awaiting_approval");
    const keys = new RedisKeys(fx.prefix);
    const raw = JSON.parse((await fx.redis.get(keys.approval(toExpire.approvalId!))) as string);
    raw.expiresAt = new Date(Date.now() - 1000).toISOString();
    await fx.redis.set(keys.approval(toExpire.approvalId!), JSON.stringify(raw));
    await fx.redis.zadd(keys.approvalsPending(), Date.now() - 1000, toExpire.approvalId!);
    expect((await approver.sweeper.sweep()).expired.map((a) => a.id)).toEqual([toExpire.approvalId]);
    await until(ids.expired, "approval_expired");
    // a run record is final a moment before the counter of the process that ended it moves
    for (let waited = 0; waited < 5000; waited += 100) {
      scraped.producer = await (await fetch(`${producer.url}/metrics`)).text();
      scraped.worker = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text();
      scraped.approver = await (await fetch(`${approver.url}/metrics`)).text();
      if (sum(Object.values(scraped).join("\n"), "pyfleet_runs_finished_total", {}) >= 4) break;
      await new Promise((res) => setTimeout(res, 100));
    }
  }, 180_000);
  afterAll(async () => {
    await worker?.stop();
    await approver?.close();
    producer?.child.kill("SIGTERM");
    await t?.cleanup();
  });

  it("the producer counts the queued run it cancelled", () => {
    expect(sum(scraped.producer, "pyfleet_runs_finished_total", { status: "cancelled" }), scraped.producer).toBe(1);
    expect(sum(scraped.producer, "pyfleet_run_duration_seconds_count", { status: "cancelled" })).toBe(1);
  });

  it("the approver counts the run it rejected and the run it expired", () => {
    expect(sum(scraped.approver, "pyfleet_runs_finished_total", { status: "rejected", mode: "write_access" }), scraped.approver).toBe(1);
    expect(sum(scraped.approver, "pyfleet_runs_finished_total", { status: "approval_expired", mode: "write_access" })).toBe(1);
  });

  it("each of the four endings is counted once over the three processes", () => {
    const all = Object.values(scraped).join("\n");
    for (const status of ["cancelled", "rejected", "approval_expired", "completed"]) {
      expect(sum(all, "pyfleet_runs_finished_total", { status }), `${status}\n${all}`).toBe(1);
    }
    expect(sum(scraped.worker, "pyfleet_runs_finished_total", { status: "completed" })).toBe(1);
  });
});
