import type { Fleet } from "@pyfleet/fleet";
import { type SpawnedWorker, spawnWorker, startTestFleet, type TestFleet, waitForStatus } from "@pyfleet/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const req = (code: string) => ({ user_query: "q", task_objective: "horizontal scaling", code });

/** Jobs a worker finished on a queue, read from its /metrics. */
async function jobsDone(w: SpawnedWorker, queue: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`)).text();
  const m = new RegExp(`pyfleet_jobs_total\\{queue="${queue.replace(".", "\\.")}",outcome="completed"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

describe("horizontal scaling of read-only executors", () => {
  let t: TestFleet;
  let fleet: Fleet;
  let executors: SpawnedWorker[] = [];
  const workers: SpawnedWorker[] = [];

  beforeAll(async () => {
    t = await startTestFleet({ tag: "horiz" });
    const { env } = t;
    ({ fleet } = t);
    const spawned = await Promise.all([
      spawnWorker(["--stage", "analyze"], env),
      spawnWorker(["--stage", "execute", "--mode", "read_only"], env),
      spawnWorker(["--stage", "execute", "--mode", "read_only"], env),
      spawnWorker(["--stage", "execute", "--mode", "read_only"], env),
    ]);
    workers.push(...spawned);
    executors = spawned.slice(1);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop("SIGTERM")));
    await t?.cleanup();
  });

  it("spreads 300 provided-code runs over three executors, each run executed exactly once", async () => {
    const before = await Promise.all(executors.map((w) => jobsDone(w, "execute.read_only")));
    const t0 = Date.now();
    const ids: string[] = [];
    for (let batch = 0; batch < 300; batch += 50) {
      const runs = await Promise.all(
        Array.from({ length: 50 }, (_, i) => fleet.submit(req(`print("exec-${batch + i}")\nresults = {"i": ${batch + i}}`))),
      );
      ids.push(...runs.map((r) => r.runId));
    }
    for (const id of ids) expect((await waitForStatus((x) => fleet.get(x), id, ["completed", "failed"], 120_000)).status).toBe("completed");
    const elapsed = Date.now() - t0;
    // Every execution prints its marker once: a second execution of a run would print it again.
    const markers: string[] = [];
    for (const id of ids) {
      const events = await fleet.events(id, "0", 1000);
      const printed = events.filter((e) => e.type === "stdout").map((e) => String(e.data.text));
      markers.push(...printed.join("").split("\n").filter((l) => l.startsWith("exec-")));
      expect(events.filter((e) => e.type === "status" && e.stage === "execute" && e.data.status === "executing")).toHaveLength(1);
    }
    expect(markers).toHaveLength(300);
    expect(new Set(markers).size).toBe(300);
    // A job is counted when BullMQ marks it completed, just after the run record: poll briefly.
    const shares = async () => (await Promise.all(executors.map((w) => jobsDone(w, "execute.read_only")))).map((n, i) => n - before[i]!);
    await expect.poll(async () => (await shares()).reduce((a, b) => a + b, 0), { timeout: 5000 }).toBe(300);
    const share = await shares();
    for (const n of share) expect(n).toBeGreaterThan(0);
    console.info(`300 runs in ${elapsed} ms; executions per executor: ${share.join(", ")}`);
  }, 300_000);

});
