/**
 * Write safety against a real Channel Access server (the simulated ring, sim/): every count comes
 * from the IOC's put log, which the code under test cannot touch. One IOC per file (own free port).
 *
 * The local backend runs in its bubblewrap sandbox (the config's default): the sandbox has no network
 * but its loopback, where the CA gate (upstream: the IOC) enforces the signed manifest. The Jupyter
 * backend runs the same flows on the sandboxed write and read-only kernels.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { projectPython, RedisKeys } from "@pyfleet/core";
import { AuditLog, type Fleet } from "@pyfleet/fleet";
import { IocFixture, type JupyterFixture, type RedisFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveParked, startTestFleet, type TestFleet, waitForStatus } from "./testing/index.js";

const run = promisify(execFile);
const QF1 = "SR:MAG:QF1:CURRENT_SP";
const QD1 = "SR:MAG:QD1:CURRENT_SP";

let ioc: IocFixture;
beforeAll(async () => {
  ioc = await IocFixture.start();
}, 60_000);
afterAll(async () => {
  await ioc?.close();
});

/** A put from outside any run (the operator's console), with the IOC's settings. */
async function operatorPut(pv: string, value: number | string): Promise<void> {
  await run(projectPython(), ["-c", `import epics, sys\nsys.exit(0 if epics.caput(${JSON.stringify(pv)}, ${JSON.stringify(value)}, wait=True, timeout=5) == 1 else 1)`], {
    env: { ...process.env, ...ioc.env },
  });
}

/** Accepted puts per PV as the IOC counted them. */
const accepted = (pv: string) => ioc.putCount(pv);

describe.each([{ backend: "local" as const }, { backend: "container" as const }])("write runs on a real IOC ($backend backend)", ({ backend }) => {
  let t: TestFleet;
  let fx: RedisFixture;
  let jupyter: JupyterFixture | undefined;
  let fleet: Fleet;

  beforeAll(async () => {
    if (backend === "container") jupyter = await startJupyterFixture({ env: ioc.env });
    t = await startTestFleet({
      tag: `wioc${backend}`,
      stages: ["analyze", "execute"],
      modes: ["read_only", "write_access"],
      env: {
        ...ioc.env,
        PYFLEET_EXECUTION_METHOD: backend,
        ...(jupyter ? { JUPYTER_HOST: jupyter.host, JUPYTER_PORT: String(jupyter.port), JUPYTER_TOKEN: jupyter.token } : {}),
      },
      configure: (config) => {
        expect(config.execution.sandbox.enabled).toBe(true);
        config.control_system.write_connection_timeout_seconds = 2;
      },
    });
    ({ fleet, redis: fx } = t);
  }, 120_000);
  afterAll(async () => {
    await t?.cleanup();
    await jupyter?.close();
  });

  const submit = (code: string, extra: Record<string, unknown> = {}) =>
    fleet.submit({ user_query: "set the quadrupole", task_objective: "set a magnet", code, ...extra }, { requester: "carol" });
  const audit = async (runId: string) => (await new AuditLog(fx.redis, new RedisKeys(fx.prefix)).range()).filter((e) => e.data.runId === runId);

  it("shows current → proposed with units and limits, and after approval changes the setpoint exactly once (read back)", async () => {
    const start = (await ioc.get(QF1)) as number;
    const target = Math.round((start + 1.5) * 10) / 10;
    const before = await accepted(QF1);
    const { runId } = await submit(`import epics\nepics.caput(${JSON.stringify(QF1)}, ${target})\nresults = {'set': ${target}}\n`);
    const { store } = t.approvals();
    const parked = await waitForStatus((id) => fleet.get(id), runId, "awaiting_approval", 60_000);
    const record = await store.get(parked.approvalId as string);
    expect(record?.manifest?.entries).toMatchObject([
      { pv: QF1, proposed: target, units: "A", limits: { low: 0, high: 150, source: "DRVL/DRVH" }, outOfLimits: false, connected: true },
    ]);
    expect(Math.abs((record?.manifest?.entries[0]?.current as number) - start)).toBeLessThan(1e-6);
    // the dry run wrote nothing
    expect(await accepted(QF1)).toBe(before);

    const { decision } = await approveParked(fleet, store, runId);
    expect(decision).toMatchObject({ writePvs: [QF1], manifestHash: record?.manifest?.hash });
    const done = await waitForStatus((id) => fleet.get(id), runId, ["completed", "failed", "outcome_unknown"], 60_000);
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(await accepted(QF1)).toBe(before + 1);
    expect(await ioc.get(QF1)).toBeCloseTo(target, 6);
    const writes = (await fleet.details(runId))?.final?.result?.writes;
    expect(writes).toMatchObject([{ pv: QF1, value: target, status: "ok", error: null }]);
    expect(writes?.[0]?.readback).toBeCloseTo(target, 6);
    const finished = (await audit(runId)).find((e) => e.type === "write.finished");
    expect(finished?.data).toMatchObject({ outcome: "succeeded", writes: [{ pv: QF1, status: "ok" }], error: null });
  }, 120_000);

  it("refuses a PV the dry run never saw (data-dependent target changed after approval): counted 0, audited, failed without retry", async () => {
    // writes QF1 while QF1 reads below 120 A, else QD1
    const code = [
      "import epics",
      `target = ${JSON.stringify(QF1)} if epics.caget(${JSON.stringify(QF1)}, use_monitor=False) < 120 else ${JSON.stringify(QD1)}`,
      "epics.caput(target, 99.0)",
      "results = {'target': target}",
      "",
    ].join("\n");
    await operatorPut(QF1, 101.0);
    const { runId } = await submit(code);
    const { store } = t.approvals();
    const parked = await waitForStatus((id) => fleet.get(id), runId, "awaiting_approval", 60_000);
    expect((await store.get(parked.approvalId as string))?.manifest?.pvs).toEqual([QF1]);
    await operatorPut(QF1, 125.0); // the data the code depends on changes before the write runs
    const [qf1, qd1] = [await accepted(QF1), await accepted(QD1)];
    await approveParked(fleet, store, runId);
    const done = await waitForStatus((id) => fleet.get(id), runId, ["completed", "failed", "outcome_unknown"], 60_000);
    expect(done.status).toBe("failed");
    expect(done.error).toMatchObject({ code: "WRITE_NOT_IN_MANIFEST", category: "policy" });
    expect(await accepted(QD1)).toBe(qd1);
    expect(await accepted(QF1)).toBe(qf1);
    expect(await ioc.refusedCount(QD1)).toBe(0); // refused before the put: the IOC never saw it
    const entries = await audit(runId);
    expect(entries.filter((e) => e.type === "write.refused_unapproved_pv").map((e) => e.data.pv)).toEqual([QD1]);
    expect(entries.find((e) => e.type === "write.finished")?.data).toMatchObject({ outcome: "failed", error: { code: "WRITE_NOT_IN_MANIFEST" } });
    expect(entries.filter((e) => e.type === "write.started")).toHaveLength(1);
  }, 120_000);

  it("never parks a proposal outside the PV's limits; nothing is written", async () => {
    const before = await accepted(QF1);
    const { runId } = await submit(`import epics\nepics.caput(${JSON.stringify(QF1)}, 200.0)\nresults = {}\n`, { retries: 0 });
    const done = await waitForStatus((id) => fleet.get(id), runId, ["completed", "failed", "awaiting_approval", "outcome_unknown"], 60_000);
    expect(done.status).toBe("failed");
    expect(done.approvalId).toBeNull();
    expect(done.error?.code).toBe("MANIFEST_OUT_OF_LIMITS");
    expect(done.error?.message).toContain("200.000 A  (limits 0 … 150 A)  ⚠ OUT OF LIMITS");
    expect(await accepted(QF1)).toBe(before);
  }, 120_000);

  it("a put the IOC refuses (interlock disabled after approval) fails the run truthfully, audited failed, never retried", async () => {
    await operatorPut(QF1, 101.0);
    const before = await accepted(QF1);
    const { runId } = await submit(`import epics\nepics.caput(${JSON.stringify(QF1)}, 103.0)\nresults = {}\n`);
    const { store } = t.approvals();
    await waitForStatus((id) => fleet.get(id), runId, "awaiting_approval", 60_000);
    await operatorPut("SR:INTLK:ENABLE", 0);
    try {
      await approveParked(fleet, store, runId);
      const done = await waitForStatus((id) => fleet.get(id), runId, ["completed", "failed", "outcome_unknown"], 60_000);
      expect(done.status).toBe("failed");
      expect(done.error).toMatchObject({ code: "CONTROL_SYSTEM_WRITE_FAILED", category: "policy" });
      expect(done.error?.message).toContain(QF1);
      expect(await accepted(QF1)).toBe(before);
      expect(await ioc.refusedCount(QF1)).toBeGreaterThan(0);
      const entries = await audit(runId);
      expect(entries.find((e) => e.type === "write.finished")?.data).toMatchObject({
        outcome: "failed",
        writes: [{ pv: QF1, status: "failed", code: "CONTROL_SYSTEM_WRITE_FAILED" }],
      });
      expect(entries.filter((e) => e.type === "write.started")).toHaveLength(1);
    } finally {
      await operatorPut("SR:INTLK:ENABLE", 1);
    }
  }, 120_000);
});
