import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExecuteInput, projectPython } from "@pyfleet/core";
import { IocFixture, type JupyterFixture, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HARNESS_PATH, parseHarnessReport } from "../harness.js";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { ContainerExecutor } from "./container-executor.js";
import { makeServerSettings } from "./jupyter-settings.js";

/**
 * Writes that bypass `epics.caput` / `PV.put` entry points the guard knew: a pyepics synchronous
 * group put goes straight to libca (`ca_sg_array_put`), and `epics.autosave.restore_pvs` puts every
 * value of a save file behind a bare `except` that swallowed the refusal of each `PV.put`.
 */
const SAVE_FILE = "SR:MAG:QF1:CURRENT_SP 101.5\nSR:MAG:QD1:CURRENT_SP 99\n<END>\n";
const ATTEMPTS = [
  "import os, tempfile",
  "from epics import ca",
  "import epics.autosave",
  "from epics.autosave import restore_pvs",
  "path = os.path.join(tempfile.mkdtemp(), 'saved.sav')",
  `open(path, 'w').write(${JSON.stringify(SAVE_FILE)})`,
  "attempts = {",
  "    'sg_put': lambda: ca.sg_put(ca.sg_create(), ca.create_channel('SR:MAG:QF1:CURRENT_SP', connect=False), 1.0),",
  "    'restore_pvs': lambda: restore_pvs(path),",
  "    'epics.autosave.restore_pvs': lambda: epics.autosave.restore_pvs(path),",
  "}",
  "outcome = {}",
  "for label, attempt in attempts.items():",
  "    try:",
  "        attempt()",
  "        outcome[label] = 'performed'",
  "    except PermissionError as err:",
  "        outcome[label] = str(err)",
  "results = {'outcome': outcome}",
].join("\n");
const REFUSED = {
  sg_put: "epics.ca.sg_put(SR:MAG:QF1:CURRENT_SP) refused: control-system writes are not allowed in read_only mode",
  restore_pvs: "epics.autosave.restore_pvs(SR:MAG:QF1:CURRENT_SP, SR:MAG:QD1:CURRENT_SP) refused: control-system writes are not allowed in read_only mode",
  "epics.autosave.restore_pvs":
    "epics.autosave.restore_pvs(SR:MAG:QF1:CURRENT_SP, SR:MAG:QD1:CURRENT_SP) refused: control-system writes are not allowed in read_only mode",
};

/** The same two writes against the simulated IOC's real PVs (connected channels, a real save file). */
const QF1 = "SR:MAG:QF1:CURRENT_SP";
const QD1 = "SR:MAG:QD1:CURRENT_SP";
const AGAINST_IOC = [
  "import os, tempfile, time",
  "from epics import ca",
  "from epics.autosave import restore_pvs",
  "path = os.path.join(tempfile.mkdtemp(), 'golden.sav')",
  `open(path, 'w').write('${QD1} 77.0\\n<END>\\n')`,
  `chid = ca.create_channel('${QF1}')`,
  "connected = ca.connect_channel(chid, timeout=5)",
  "outcome = {'connected': bool(connected)}",
  "gid = ca.sg_create()",
  "try:",
  "    ca.sg_put(gid, chid, 120.0)",
  "    ca.sg_block(gid, timeout=5)",
  "    outcome['sg_put'] = 'performed'",
  "except PermissionError as err:",
  "    outcome['sg_put'] = 'refused'",
  "try:",
  "    outcome['restore_pvs'] = 'performed' if restore_pvs(path) else 'failed'",
  "except PermissionError as err:",
  "    outcome['restore_pvs'] = 'refused'",
  "ca.poll(evt=0.5)",
  "time.sleep(0.5)",
  "results = outcome",
].join("\n");

let dir: string;
let ioc: IocFixture;
let jupyter: JupyterFixture;
let ro: ContainerExecutor;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pyfleet-guard-sg-"));
  ioc = await IocFixture.start();
  jupyter = await startJupyterFixture({ env: { ...ioc.env } });
  ro = new ContainerExecutor({
    kernelName: "python3-epics-readonly",
    mode: "read_only",
    settings: makeServerSettings(jupyter),
    container: { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 1, pool_max_size: 1 },
    maxStdoutBytes: 64 * 1024,
  });
});
afterAll(async () => {
  await ro?.close();
  await jupyter?.close();
  await ioc?.close();
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
async function runScript(code: string, args: string[]) {
  const work = join(dir, String(seq++));
  await mkdir(work, { recursive: true });
  await writeFile(join(work, "code.py"), code);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", ...ioc.env };
  const child = spawn(projectPython(), [HARNESS_PATH, "--code", "code.py", ...args], { cwd: work, stdio: "ignore", env });
  await new Promise((resolve) => child.on("close", resolve));
  return parseHarnessReport(JSON.parse(await readFile(join(work, "pyfleet_report.json"), "utf8")));
}

function input(code: string, extra: Partial<ExecuteInput> = {}): ExecuteInput {
  return { runId: "r-guard", attempt: 1, code, mode: "read_only", context: null, workDir: "/nonexistent", timeoutMs: 20_000, dryRun: false, ...extra };
}

describe("read-only guard: pyepics synchronous groups and autosave restore", () => {
  it("the read-only kernel refuses ca.sg_put and restore_pvs (both import paths) as a policy error naming the PVs", async () => {
    const outcome = await ro.execute(input(ATTEMPTS));
    expect(outcome.results).toEqual({ outcome: REFUSED });
    expect(outcome.error).toMatchObject({ ename: "PermissionError", category: "policy" });
  });

  it("script mode refuses them too, and a dry run records every PV of the save file instead of writing", async () => {
    const refused = await runScript(ATTEMPTS, []);
    expect(refused.results).toEqual({ outcome: REFUSED });
    expect(refused.error).toMatchObject({ category: "policy", code: "WRITE_IN_READ_ONLY" });
    const dry = await runScript(ATTEMPTS, ["--mode", "write_access", "--dry-run"]);
    expect(dry.error).toBeNull();
    expect(dry.results).toEqual({ outcome: { sg_put: "performed", restore_pvs: "performed", "epics.autosave.restore_pvs": "performed" } });
    expect(dry.recorded_writes).toEqual([
      { pv: "SR:MAG:QF1:CURRENT_SP", value: 1.0, api: "epics.ca.sg_put", order: 1 },
      { pv: "SR:MAG:QF1:CURRENT_SP", value: "101.5", api: "epics.autosave.restore_pvs", order: 2 },
      { pv: "SR:MAG:QD1:CURRENT_SP", value: "99", api: "epics.autosave.restore_pvs", order: 3 },
      { pv: "SR:MAG:QF1:CURRENT_SP", value: "101.5", api: "epics.autosave.restore_pvs", order: 4 },
      { pv: "SR:MAG:QD1:CURRENT_SP", value: "99", api: "epics.autosave.restore_pvs", order: 5 },
    ]);
  });

  it("no put reaches the IOC from the read-only kernel or a read-only script; the same code in write_access does write (counted at the IOC)", async () => {
    const kernel = await ro.execute(input(AGAINST_IOC, { timeoutMs: 30_000 }));
    expect(kernel.results).toEqual({ connected: true, sg_put: "refused", restore_pvs: "refused" });
    expect(kernel.error).toMatchObject({ category: "policy" });
    const script = await runScript(AGAINST_IOC, []);
    expect(script.results).toEqual({ connected: true, sg_put: "refused", restore_pvs: "refused" });
    expect(await ioc.putCounts()).toEqual({});
    // the control: without the guard's refusal both writes reach the device, so the zero above is the guard's doing
    const written = await runScript(AGAINST_IOC, ["--mode", "write_access"]);
    expect(written.results).toEqual({ connected: true, sg_put: "performed", restore_pvs: "performed" });
    const deadline = Date.now() + 5000;
    while (Object.keys(await ioc.putCounts()).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await ioc.putCounts()).toEqual({ [QF1]: 1, [QD1]: 1 });
  }, 60_000);
});
