/**
 * The Jupyter write kernel's CA gate holds each run to its own signed manifest, against the real
 * simulated IOC (IocFixture): counts come from the IOC, which nothing in a kernel can touch. The
 * code bypasses the in-process guard (raw Channel Access from sockets), so what refuses is the
 * gate in the kernel's launcher, outside the sandbox; the executor decides the outcome from the
 * gate's record.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput, WritePolicy } from "@pyfleet/core";
import { IocFixture, type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { PRELUDE } from "../sandbox/hostile/snippets.js";
import { ContainerExecutor } from "./container-executor.js";
import { makeServerSettings } from "./jupyter-settings.js";

const QF1 = "SR:MAG:QF1:CURRENT_SP";
const QD1 = "SR:MAG:QD1:CURRENT_SP";
const manifest = (pv: string): WritePolicy => ({ allowed_pvs: [pv], limits: { [pv]: { low: 0, high: 150 } }, enforce_limits: true, connection_timeout_s: 5 });

let ioc: IocFixture;
let jupyter: JupyterFixture;
let executor: ContainerExecutor;
let root: string;
let n = 0;

beforeAll(async () => {
  ioc = await IocFixture.start();
  jupyter = await startJupyterFixture({ env: ioc.env });
  root = await mkdtemp(join(tmpdir(), "pyfleet-kernel-gate-"));
  executor = new ContainerExecutor({
    kernelName: DEFAULT_EXECUTION_OPTIONS.execution.modes.write_access.kernel_name,
    mode: "write_access",
    settings: makeServerSettings(jupyter),
    // one kernel, and "reset" asked for: the write executor restarts it anyway (no code of a run
    // lives on into the next run's manifest)
    container: { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 1, pool_max_size: 1, reset: "reset" },
    maxStdoutBytes: 64 * 1024,
  });
  await executor.pool.fill();
}, 120_000);
afterAll(async () => {
  await executor?.close();
  await jupyter?.close();
  await ioc?.close();
  await rm(root, { recursive: true, force: true });
});

async function run(code: string, extra: Partial<ExecuteInput>) {
  const workDir = join(root, `a${n++}`);
  await mkdir(workDir);
  return executor.execute({ runId: `kgate-${n}`, attempt: 1, code: `${PRELUDE}\n${code}`, mode: "write_access", context: { ioc_port: ioc.port }, workDir, timeoutMs: 30_000, dryRun: false, ...extra });
}

describe("Jupyter write kernels: the gate admits only the run's signed manifest", () => {
  it("refuses a write to a PV outside the manifest (guard bypassed): the IOC counts 0, the run fails WRITE_NOT_IN_MANIFEST, a forged ok report does not win", async () => {
    const outcome = await run(
      [
        `r = raw_ca_write('127.0.0.1', 5064, pv=${JSON.stringify(QD1)}, value=7.0)`,
        // forge the harness's verdict: the code says all went well
        "results = {'raw': r, 'status': 'ok'}",
      ].join("\n"),
      { writePolicy: manifest(QF1) },
    );
    expect(await ioc.putCount(QD1)).toBe(0);
    expect(outcome.error).toMatchObject({ category: "policy", code: "WRITE_NOT_IN_MANIFEST" });
    expect(outcome.error?.evalue).toContain("WRITE_REFUSED_BY_GATE");
    expect(outcome.gate?.writes).toEqual([]);
    expect(outcome.gate?.refused.map((r) => [r.pv, r.code])).toEqual([
      [QD1, "WRITE_NOT_IN_MANIFEST"],
      [QD1, "WRITE_NOT_IN_MANIFEST"],
    ]);
    // what the audit gets (write.refused_unapproved_pv), though the harness never saw the write
    expect(outcome.performedWrites?.map((w) => [w.pv, w.status, w.code, w.api])).toEqual([
      [QD1, "refused", "WRITE_NOT_IN_MANIFEST", "ca-gate"],
      [QD1, "refused", "WRITE_NOT_IN_MANIFEST", "ca-gate"],
    ]);
  }, 90_000);

  it("an approved write in the manifest lands exactly once (counted at the IOC, read back by the gate)", async () => {
    const before = await ioc.putCount(QF1);
    const outcome = await run(`import epics\nresults = {'put': epics.caput(${JSON.stringify(QF1)}, 111.5, wait=True, timeout=5)}`, { writePolicy: manifest(QF1) });
    expect(outcome.error, outcome.stderr).toBeUndefined();
    expect(await ioc.putCount(QF1)).toBe(before + 1);
    expect(await ioc.get(QF1)).toBeCloseTo(111.5, 6);
    expect(outcome.gate?.writes).toEqual([expect.objectContaining({ pv: QF1, value: 111.5, outcome: "performed" })]);
    expect(Number(outcome.gate?.writes[0]?.readback)).toBeCloseTo(111.5, 6);
    expect(outcome.gate?.refused).toEqual([]);
  }, 90_000);

  it("the next run on the pooled kernel writes under its own manifest, never the previous run's", async () => {
    const before = await ioc.putCount(QF1);
    // QF1 was admitted in the run before; this run's manifest names QD1 only
    const outcome = await run(`results = {'raw': raw_ca_write('127.0.0.1', 5064, pv=${JSON.stringify(QF1)}, value=112.0)}`, { writePolicy: manifest(QD1) });
    expect(await ioc.putCount(QF1)).toBe(before);
    expect(outcome.error).toMatchObject({ category: "policy", code: "WRITE_NOT_IN_MANIFEST" });
    // and a write run without a signed policy writes nothing at all
    const none = await run(`results = {'raw': raw_ca_write('127.0.0.1', 5064, pv=${JSON.stringify(QD1)}, value=8.0)}`, {});
    expect(await ioc.putCount(QD1)).toBe(0);
    expect(none.error).toMatchObject({ category: "policy", code: "WRITE_NOT_IN_MANIFEST" });
  }, 90_000);
});
