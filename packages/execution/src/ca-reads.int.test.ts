import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type ExecuteInput, type ExecutionOutcome, projectPython } from "@pyfleet/core";
import { IocFixture, type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerExecutor } from "./container/container-executor.js";
import { makeServerSettings } from "./container/jupyter-settings.js";
import { LocalExecutor } from "./local/local-executor.js";
import { DEFAULT_EXECUTION_OPTIONS } from "./options.js";
import { upstreamsFromEnv } from "./sandbox/ca-gate.js";

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

/** The project venv folder (the sandbox shows it read-only at /opt/pyfleet/venv). */
const projectVenv = () => dirname(dirname(projectPython()));

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
  it("local backend in its sandbox: unmodified epics.caget / PV.get through the CA gate, no put reaches the IOC", async () => {
    // the sandbox has no network but its loopback; the gate (upstream: the IOC's EPICS_CA_ADDR_LIST)
    // is the only CA server the code can reach
    const env = { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", HOME: root, ...ioc.env };
    const executor = new LocalExecutor({
      local: { ...DEFAULT_EXECUTION_OPTIONS.execution.local, python_env_path: projectVenv() },
      sandbox: DEFAULT_EXECUTION_OPTIONS.execution.sandbox,
      caUpstreams: upstreamsFromEnv(env),
      maxStdoutBytes: 64 * 1024,
      env,
    });
    expect(DEFAULT_EXECUTION_OPTIONS.execution.sandbox.enabled).toBe(true);
    try {
      const outcome = await executor.execute(input(READ_CURRENT));
      expectLiveCurrent(outcome);
      // the gate answers libca's repeater registration inside the sandbox: no caRepeater is started
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
