import { readdirSync, readFileSync } from "node:fs";
import { basename, join, sep } from "node:path";
import type { Fleet } from "@pyfleet/fleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveParked } from "./testing/approvals.js";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";
const RUNS = 4;

/**
 * Write code that logs when it starts and ends (wall clock, seconds) around a pause, in a file of
 * its own in its working folder: the local backend's sandbox hides host paths (its /tmp is
 * private), so the file comes back to the run's attempt folder when the run ends. The manifest's
 * dry run leaves its own in `dry-run` (not counted).
 */
const code = (i: number) =>
  [
    "import time, epics, uuid",
    'log = "writes-" + uuid.uuid4().hex + ".log"',
    `with open(log, "a") as f: f.write("${i} start " + repr(time.time()) + "\\n")`,
    `epics.caput("CAP:W${i}", ${i})`,
    "time.sleep(0.6)",
    `with open(log, "a") as f: f.write("${i} end " + repr(time.time()) + "\\n")`,
    `results = {"i": ${i}}`,
  ].join("\n");

/** Lines of every log the write executions left below `root` (dry runs not counted). */
function writeLogLines(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => !f.split(sep).includes("dry-run") && /^writes-[0-9a-f]{32}\.log$/.test(basename(f)))
    .flatMap((f) => readFileSync(join(root, f), "utf8").trim().split("\n"));
}

describe("fleet-wide write cap (queues.write_fleet_concurrency)", () => {
  let t: TestFleet;
  let producer: Fleet;
  let root: string;

  beforeAll(async () => {
    t = await startTestFleet({
      tag: "wcap",
      stages: ["analyze", "execute"],
      modes: ["read_only"],
      allowFileWrites: true,
      configure: (config) => {
        // Each executor would take two writes at once; only the fleet-wide cap of 1 keeps them apart.
        config.queues.execute_write_access.concurrency = 2;
        config.queues.write_fleet_concurrency = 1;
      },
    });
    ({ fleet: producer } = t);
    root = t.env.PYFLEET_ARTIFACTS as string;
    for (let i = 0; i < 2; i++) await t.open({ stages: ["execute"], modes: ["write_access"] });
  }, 60_000);
  afterAll(() => t?.cleanup());

  it("never runs two approved writes at once across two executors with room for two each", async () => {
    const { store } = t.approvals();
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { runId } = await producer.submit({ user_query: "q", task_objective: `write ${i}`, code: code(i), dry_run: true }, { requester: "carol" });
      ids.push(runId);
    }
    // Park all of them first, then release them together so they compete for the executors.
    await Promise.all(ids.map((id) => waitForStatus((r) => producer.get(r), id, "awaiting_approval")));
    for (const id of ids) await approveParked(producer, store, id);
    for (const id of ids) await waitForStatus((r) => producer.get(r), id, "completed", 60_000);

    const spans = new Map<number, { start?: number; end?: number }>();
    const lines = writeLogLines(root);
    // one start and one end per run: no write ran twice
    expect(lines).toHaveLength(2 * RUNS);
    for (const line of lines) {
      const [i, what, t] = line.split(" ");
      const span = spans.get(Number(i)) ?? {};
      span[what as "start" | "end"] = Number(t);
      spans.set(Number(i), span);
    }
    expect(spans.size).toBe(RUNS);
    const sorted = [...spans.values()].sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
    for (let k = 1; k < sorted.length; k++) {
      // the next write starts only after the previous one ended
      expect(sorted[k]!.start).toBeGreaterThanOrEqual(sorted[k - 1]!.end!);
    }
  }, 120_000);
});
