import { sep } from "node:path";
import { RedisKeys } from "@pyfleet/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveParked, findFiles } from "./testing/approvals.js";
import { startTestFleet, type TestFleet } from "./testing/start-test-fleet.js";
import { waitForStatus } from "./testing/wait-for.js";

describe("a write job that finds its execution marker already set (real Redis guard, real executor)", () => {
  let t: TestFleet;

  beforeAll(async () => {
    // The code writes a flag file.
    t = await startTestFleet({ tag: "marker", stages: ["analyze", "execute"], modes: ["read_only"], allowFileWrites: true });
  });
  afterAll(() => t?.cleanup());

  it("does not run the code, ends outcome_unknown and audits the refusal", async () => {
    // The code leaves `ran.flag` in its working folder: the local backend's sandbox hides host
    // paths (its /tmp is private), so the file comes back to the attempt folder when a run ends.
    // The manifest's dry run (in an attempt's `dry-run` folder) runs the code too: its flag shows
    // that a flag left by an execution does reach the artifacts.
    const code = `import epics\nopen("ran.flag", "w").write("ran")\nepics.caput("SR:C01:HCM", 1)\nresults = {"ok": True}\n`;
    const { fleet: producer, redis: fx } = t;
    const flags = () => findFiles(t.env.PYFLEET_ARTIFACTS as string, "ran.flag");
    const { store, audit } = t.approvals();
    const { runId } = await producer.submit({ user_query: "q", task_objective: "set", code, dry_run: true }, { requester: "carol" });
    const { approval } = await approveParked(producer, store, runId);
    // An earlier delivery of this attempt got as far as taking the marker, then its process died
    // (no executor runs yet: the execute job waits in its queue).
    const marker = { runId, attempt: 1, codeHash: approval.codeHash, workerId: "dead-worker:1", startedAt: new Date().toISOString(), outcome: "running" };
    await fx.redis.set(new RedisKeys(fx.prefix).execMarker(runId, 1), JSON.stringify(marker));

    await t.open({ stages: ["execute"], modes: ["write_access"] });
    const done = await waitForStatus((id) => producer.get(id), runId, ["outcome_unknown", "completed", "failed"], 30_000);
    expect(done.status).toBe("outcome_unknown");
    expect(done.error?.code).toBe("OUTCOME_UNKNOWN");
    expect(flags().filter((f) => f.split(sep).includes("dry-run"))).toHaveLength(1);
    expect(flags().filter((f) => !f.split(sep).includes("dry-run"))).toEqual([]);
    const entries = await audit.range();
    const refused = entries.filter((e) => e.type === "write.duplicate_refused");
    expect(refused).toHaveLength(1);
    expect(refused[0]?.data).toMatchObject({ runId, attempt: 1, marker: { workerId: "dead-worker:1" } });
    expect(entries.filter((e) => e.type === "write.started")).toHaveLength(0);
  }, 60_000);
});
