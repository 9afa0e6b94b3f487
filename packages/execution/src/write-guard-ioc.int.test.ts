/**
 * The write paths of the harness against the simulated ring, counted at the IOC (its put log):
 * read-only code cannot write by any of the usual spellings, a write policy admits only its PVs,
 * and a put that cannot connect fails within the configured timeout instead of pyepics' 60 s.
 * The local backend runs without its bubblewrap sandbox here (its network namespace has loopback
 * only; the CA gate is the containment work).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput, Executor, WritePolicy } from "@pyfleet/core";
import { IocFixture, type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerExecutor } from "./container/container-executor.js";
import { makeServerSettings } from "./container/jupyter-settings.js";
import { LocalExecutor } from "./local/local-executor.js";
import { DEFAULT_EXECUTION_OPTIONS } from "./options.js";

const QF1 = "SR:MAG:QF1:CURRENT_SP";
/** Every way the original's users write a PV; each must be refused in read-only mode. */
const READ_ONLY_WRITES: Record<string, string> = {
  direct: `import epics\nepics.caput('${QF1}', 111.0)`,
  aliased: `from epics import caput as c\nc('${QF1}', 111.0)`,
  "PV.put": `import epics\nepics.PV('${QF1}').put(111.0, wait=True)`,
  "PV.value =": `import epics\np = epics.PV('${QF1}')\np.wait_for_connection(5)\np.value = 111.0`,
  write_channel: `write_channel('${QF1}', 111.0)`,
};

let ioc: IocFixture;
let root: string;
let jupyter: JupyterFixture;
beforeAll(async () => {
  [ioc, root] = await Promise.all([IocFixture.start(), mkdtemp(join(tmpdir(), "pyfleet-wguard-"))]);
  jupyter = await startJupyterFixture({ env: ioc.env });
}, 90_000);
afterAll(async () => {
  await jupyter?.close();
  await ioc?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

let n = 0;
function input(code: string, mode: ExecuteInput["mode"], writePolicy?: WritePolicy): ExecuteInput {
  return { runId: "wg", attempt: 1, code, mode, context: null, workDir: join(root, `w${n++}`), timeoutMs: 30_000, dryRun: false, ...(writePolicy ? { writePolicy } : {}) };
}

const policy = (allowed: string[]): WritePolicy => ({ allowed_pvs: allowed, limits: {}, enforce_limits: true, connection_timeout_s: 1 });

function localExecutor(): Executor {
  return new LocalExecutor({ local: DEFAULT_EXECUTION_OPTIONS.execution.local, maxStdoutBytes: 64 * 1024, env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", HOME: root, ...ioc.env } });
}

function kernelExecutor(mode: ExecuteInput["mode"]): Executor {
  return new ContainerExecutor({
    kernelName: mode === "read_only" ? "python3-epics-readonly" : "python3-epics-write",
    mode,
    settings: makeServerSettings(jupyter),
    container: { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 1, pool_max_size: 1 },
    maxStdoutBytes: 64 * 1024,
  });
}

describe.each([
  { backend: "local", make: (_mode: ExecuteInput["mode"]) => localExecutor() },
  { backend: "container", make: kernelExecutor },
])("the harness's write paths on the $backend backend, counted at the IOC", ({ make }) => {
  it("refuses every spelling of a write in read-only mode: the IOC sees no put", async () => {
    const executor = make("read_only");
    try {
      for (const [name, code] of Object.entries(READ_ONLY_WRITES)) {
        const out = await executor.execute(input(code, "read_only"));
        expect(out.error, name).toMatchObject({ ename: "PermissionError", category: "policy" });
      }
    } finally {
      await executor.close();
    }
    expect(await ioc.putCount(QF1)).toBe(0);
    expect(await ioc.refusedCount(QF1)).toBe(0);
  }, 120_000);

  it("in write mode admits only the policy's PVs, and fails an unconnectable put within the write timeout", async () => {
    const executor = make("write_access");
    try {
      const before = await ioc.putCount("SR:MAG:QD2:CURRENT_SP");
      const refused = await executor.execute(input("import epics\nepics.caput('SR:MAG:QD2:CURRENT_SP', 97.0)", "write_access", policy([QF1])));
      expect(refused.error).toMatchObject({ category: "policy", code: "WRITE_NOT_IN_MANIFEST" });
      expect(refused.performedWrites).toMatchObject([{ pv: "SR:MAG:QD2:CURRENT_SP", status: "refused" }]);
      expect(await ioc.putCount("SR:MAG:QD2:CURRENT_SP")).toBe(before);

      const started = Date.now();
      const lost = await executor.execute(input("import epics\nepics.caput('SR:NO:SUCH:PV', 1.0)\nresults = {'after': True}", "write_access", policy(["SR:NO:SUCH:PV"])));
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(lost.error).toMatchObject({ category: "policy", code: "CONTROL_SYSTEM_WRITE_FAILED" });
      expect(lost.error?.evalue).toContain("SR:NO:SUCH:PV");
      expect(lost.performedWrites).toMatchObject([{ pv: "SR:NO:SUCH:PV", status: "failed" }]);
      expect(lost.results).toBeNull();
    } finally {
      await executor.close();
    }
  }, 120_000);
});
