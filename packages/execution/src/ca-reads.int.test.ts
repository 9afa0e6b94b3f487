import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput, ExecutionOutcome } from "@pyfleet/core";
import { IocFixture, type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerExecutor } from "./container/container-executor.js";
import { makeServerSettings } from "./container/jupyter-settings.js";
import { LocalExecutor } from "./local/local-executor.js";
import { DEFAULT_EXECUTION_OPTIONS } from "./options.js";

/** Read-only user code that reads the live ring the ways the original's users do. */
const READ_CURRENT = [
  "import time, epics",
  "samples = []",
  "for _ in range(5):",
  "    samples.append(epics.caget('SR:DCCT:CURRENT', timeout=5))",
  "    time.sleep(0.25)",
  "pv = epics.PV('SR:MAG:QF1:CURRENT_RB')",
  "results = {'samples': samples, 'qf1_rb': pv.get(timeout=5), 'units': pv.get_ctrlvars(timeout=5)['units']}",
].join("\n");

let ioc: IocFixture;
let root: string;
beforeAll(async () => {
  [ioc, root] = await Promise.all([IocFixture.start(), mkdtemp(join(tmpdir(), "pyfleet-ca-reads-"))]);
}, 60_000);
afterAll(async () => {
  await ioc?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

let n = 0;
function input(code: string): ExecuteInput {
  return { runId: "ca", attempt: 1, code, mode: "read_only", context: null, workDir: join(root, `w${n++}`), timeoutMs: 30_000, dryRun: false };
}

function expectLiveCurrent(outcome: ExecutionOutcome): void {
  expect(outcome.error, outcome.stderr).toBeUndefined();
  const r = outcome.results as { samples: number[]; qf1_rb: number; units: string };
  expect(r.samples.every((v) => v > 390 && v < 410)).toBe(true);
  expect(new Set(r.samples).size).toBeGreaterThan(2); // live: the current drifts with noise
  expect(Math.abs(r.qf1_rb - 101)).toBeLessThan(0.05);
  expect(r.units).toBe("A");
}

describe("read-only runs read the live simulated ring over Channel Access", () => {
  it("local backend: epics.caget with the IOC's EPICS_CA_* (allow-listed env), no put reaches the IOC", async () => {
    // Without the bubblewrap sandbox: its network namespace has loopback only (the CA gate that
    // bridges it to the IOC is the containment work); the env allow-list is what this test checks.
    const executor = new LocalExecutor({
      local: DEFAULT_EXECUTION_OPTIONS.execution.local,
      maxStdoutBytes: 64 * 1024,
      env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", HOME: root, ...ioc.env },
    });
    try {
      const outcome = await executor.execute(input(READ_CURRENT));
      expectLiveCurrent(outcome);
      // EPICS_CA_REPEATER_PORT (allow-listed) names the IOC's repeater: libca starts no caRepeater
      expect(outcome.stderr).not.toContain("caRepeater");
    } finally {
      await executor.close();
    }
    expect(await ioc.putCounts()).toEqual({});
  }, 60_000);

  describe("Jupyter backend", () => {
    let jupyter: JupyterFixture;
    let executor: ContainerExecutor;
    beforeAll(async () => {
      // the server (and so its kernels) gets the IOC's settings, as scripts/jupyter.sh passes them
      jupyter = await startJupyterFixture({ env: ioc.env });
      executor = new ContainerExecutor({
        kernelName: "python3-epics-readonly",
        mode: "read_only",
        settings: makeServerSettings(jupyter),
        container: { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 1, pool_max_size: 1 },
        maxStdoutBytes: 64 * 1024,
      });
    }, 60_000);
    afterAll(async () => {
      await executor?.close();
      await jupyter?.close();
    });

    it("python3-epics-readonly kernel: epics.caget and PV.get read the live ring, no put reaches the IOC", async () => {
      expectLiveCurrent(await executor.execute(input(READ_CURRENT)));
      expect(await ioc.putCounts()).toEqual({});
    }, 60_000);
  });
});
