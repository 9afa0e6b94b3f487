import { PassThrough } from "node:stream";
import { createLogger } from "@pyfleet/core";
import type { Fleet } from "@pyfleet/fleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveParked } from "./testing/approvals.js";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";
type Line = { level: number; msg: string; runId?: string; stage?: string | null; attempt?: number | null; [k: string]: unknown };

describe("run lifecycle at info level (real Redis, real executor, pino JSON)", () => {
  let t: TestFleet;
  let fleet: Fleet;
  const lines: Line[] = [];

  beforeAll(async () => {
    const stream = new PassThrough();
    let buf = "";
    stream.on("data", (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        lines.push(JSON.parse(buf.slice(0, i)) as Line);
        buf = buf.slice(i + 1);
      }
    });
    const logger = createLogger({ service: "test", level: "info", destination: stream });
    t = await startTestFleet({ tag: "lifecycle-logs", stages: ["analyze", "execute"], modes: ["read_only", "write_access"], logger });
    ({ fleet } = t);
  });
  afterAll(() => t?.cleanup());

  const of = (runId: string) => lines.filter((l) => l.runId === runId);
  /** The run's lines once its `run finished` line is written (the record turns final a moment before). */
  async function finished(runId: string): Promise<Line[]> {
    for (let waited = 0; !of(runId).some((l) => l.msg === "run finished"); waited += 20) {
      if (waited > 10_000) throw new Error(`no "run finished" line for ${runId}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return of(runId);
  }

  it("logs submitted, each stage's start and end with its duration, and the final status, each with run id, stage and attempt", async () => {
    const { runId } = await fleet.submit({ user_query: "q", task_objective: "sum", code: "results = {'s': sum([1, 2, 3])}" });
    expect((await waitForStatus((id) => fleet.get(id), runId, ["completed", "failed"], 60_000)).status).toBe("completed");
    const mine = await finished(runId);
    for (const l of mine) {
      expect(l.level).toBe(30);
      expect(l).toHaveProperty("stage");
      expect(l).toHaveProperty("attempt");
    }
    const msgs = mine.map((l) => `${l.msg}${l.stage ? `:${l.stage}` : ""}`);
    expect(msgs[0]).toBe("run submitted");
    expect(msgs.at(-1)).toBe("run finished");
    for (const stage of ["analyze", "execute", "finalize"]) {
      expect(msgs).toContain(`stage started:${stage}`);
      const end = mine.find((l) => l.msg === "stage finished" && l.stage === stage);
      expect(end).toMatchObject({ outcome: "ok", attempt: 1 });
      expect(typeof end?.durationMs).toBe("number");
    }
    expect(mine.at(-1)).toMatchObject({ status: "completed", attempt: 1, errorCode: null });
  }, 60_000);

  it("logs a run parked for approval and the decision", async () => {
    const { store } = t.approvals();
    const code = "import epics\nepics.caput('SR:C01:HCM', 1)\nresults = {'ok': True}\n";
    const { runId } = await fleet.submit({ user_query: "q", task_objective: "set", code, dry_run: true }, { requester: "carol" });
    const { approval } = await approveParked(fleet, store, runId);
    await waitForStatus((id) => fleet.get(id), runId, ["completed", "failed"], 60_000);
    const mine = await finished(runId);
    expect(mine.find((l) => l.msg === "run parked for approval")).toMatchObject({ stage: "approve", attempt: 1, approvalId: approval.id });
    expect(mine.find((l) => l.msg === "stage finished" && l.stage === "approve")).toMatchObject({ outcome: "interrupted" });
    expect(mine.find((l) => l.msg === "approval decided")).toMatchObject({ stage: "approve", attempt: 1, decision: "approve" });
    expect(mine.at(-1)).toMatchObject({ msg: "run finished", status: "completed" });
  }, 60_000);
});
