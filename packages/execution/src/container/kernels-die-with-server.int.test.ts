import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ExecuteInput, projectPython } from "@pyfleet/core";
import { type JupyterFixture, REPO_JUPYTER_DIR, startJupyterFixture } from "@pyfleet/testing";
import { describe, expect, it } from "vitest";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { ContainerExecutor } from "./container-executor.js";
import { makeServerSettings } from "./jupyter-settings.js";

/** One process as /proc shows it; `start` (clock ticks since boot) tells a reused pid apart. */
interface Proc {
  pid: number;
  ppid: number;
  state: string;
  start: string;
  cmd: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after "(comm)": state ppid pgrp session tty tpgid flags ... starttime is field 22
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { pid, ppid: Number(rest[1]), state: rest[0] ?? "?", start: rest[19] ?? "?", cmd };
  } catch {
    return undefined; // gone while we read it
  }
}

function allProcs(): Proc[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is Proc => p !== undefined);
}

/** Every process below `root` (children, their children...), read from /proc. */
function descendants(root: number): Proc[] {
  const procs = allProcs();
  const found: Proc[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = procs.filter((p) => frontier.includes(p.ppid));
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** Still running: the same process (pid and start time) and not a zombie waiting for its reaper. */
function alive(p: Proc): boolean {
  const now = readProc(p.pid);
  return now !== undefined && now.start === p.start && now.state !== "Z" && now.state !== "X";
}

/** The fixture's server process: found from outside by its token on the command line. */
function serverOf(jupyter: JupyterFixture): Proc {
  const server = allProcs().find((p) => p.cmd.includes("jupyter_server") && p.cmd.includes(`--ServerApp.token=${jupyter.token}`));
  if (!server) throw new Error(`no jupyter_server process with the fixture's token in /proc`);
  return server;
}

function runtimeDirOf(server: Proc): string {
  const env = readFileSync(`/proc/${server.pid}/environ`, "utf8").split("\0");
  const dir = env.find((e) => e.startsWith("JUPYTER_RUNTIME_DIR="))?.slice("JUPYTER_RUNTIME_DIR=".length);
  if (!dir) throw new Error("the server has no JUPYTER_RUNTIME_DIR");
  return dir;
}

function input(code: string, mode: ExecuteInput["mode"]): ExecuteInput {
  return { runId: `die-${mode}`, attempt: 1, code, mode, context: null, workDir: "/nonexistent", timeoutMs: 60_000, dryRun: false };
}

/**
 * Kernels run in sessions of their own (jupyter_client starts them with `start_new_session`), so
 * the fixture's process-group SIGKILL does not reach them: only the launcher's parent-death signal
 * (and bubblewrap's --die-with-parent below it) ends them when the server dies without a shutdown.
 */
describe.each<{ sandbox: "on" | "off"; env: Record<string, string> }>([
  { sandbox: "on", env: {} },
  { sandbox: "off", env: { PYFLEET_KERNEL_SANDBOX: "off" } },
])("kernels of a SIGKILLed Jupyter server (sandbox $sandbox)", ({ sandbox, env }) => {
  it("every kernel process (launcher, bubblewrap, ipykernel) is gone within 5 s", async () => {
    const jupyter = await startJupyterFixture({ env });
    const container = { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 1, pool_max_size: 1 };
    const executors = (["read_only", "write_access"] as const).map(
      (mode) =>
        [
          mode,
          new ContainerExecutor({
            kernelName: mode === "read_only" ? "python3-epics-readonly" : "python3-epics-write",
            mode,
            settings: makeServerSettings(jupyter),
            container,
            maxStdoutBytes: 64 * 1024,
          }),
        ] as const,
    );
    let kernels: Proc[] = [];
    try {
      for (const [mode, executor] of executors) {
        const outcome = await executor.execute(input("import os\nresults = {'pid': os.getpid()}", mode));
        expect(outcome.error, mode).toBeUndefined();
      }
      // each kernel was restarted after its run (a fresh process per run): wait until both are ready
      for (const [, executor] of executors) await expect.poll(() => executor.pool.stats().idle, { timeout: 30_000 }).toBe(1);
      // the read-only kernel is busy with a run when the server dies (the chaos scenario)
      const [, ro] = executors[0]!;
      const busy = ro.execute(input("import time\ntime.sleep(60)", "read_only")).catch((e: unknown) => e);
      await expect.poll(() => ro.pool.stats().busy).toBe(1);
      await new Promise((r) => setTimeout(r, 1000));

      const server = serverOf(jupyter);
      const runtimeDir = runtimeDirOf(server);
      kernels = descendants(server.pid);
      const launchers = kernels.filter((p) => p.cmd.includes("pyfleet_kernel.py") && !p.cmd.includes("--inside"));
      expect(launchers.length, JSON.stringify(kernels)).toBeGreaterThanOrEqual(2);
      if (sandbox === "on") {
        expect(kernels.filter((p) => p.cmd.includes("--inside")).length, JSON.stringify(kernels)).toBeGreaterThanOrEqual(2);
        expect(kernels.filter((p) => p.cmd.startsWith("/usr/bin/bwrap")).length, JSON.stringify(kernels)).toBeGreaterThanOrEqual(2);
      }

      await jupyter.kill();
      const killedAt = Date.now();
      await expect
        .poll(() => kernels.filter(alive).map((p) => `${p.pid} (ppid ${readProc(p.pid)?.ppid}) ${p.cmd}`), { timeout: 5000, interval: 100 })
        .toEqual([]);
      // and no launcher of this server anywhere, also one started after the snapshot
      expect(allProcs().filter((p) => p.cmd.includes(runtimeDir) && p.state !== "Z").map((p) => `${p.pid} ${p.cmd}`)).toEqual([]);
      expect(Date.now() - killedAt).toBeLessThan(5000);
      expect(await busy).toMatchObject({ name: "PyfleetError", code: "KERNEL_DIED", category: "infrastructure" });
    } finally {
      await Promise.all(executors.map(([, e]) => e.close()));
      await jupyter.close();
      // a failed run must not leave its orphans to the next test
      for (const p of kernels.filter(alive)) {
        try {
          process.kill(p.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }, 120_000);
});

describe("the kernel launcher started by a server that is already gone", () => {
  const launch = (serverPid: number) =>
    spawnSync(projectPython(), [join(REPO_JUPYTER_DIR, "pyfleet_kernel.py"), "-f", "/nonexistent/kernel.json"], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin", JPY_PARENT_PID: String(serverPid) },
      timeout: 30_000,
    });

  it("exits before it starts a kernel (the parent-death signal would be armed against the reaper)", () => {
    const gone = spawnSync("true").pid;
    const res = launch(gone);
    expect(res.status, res.stderr).toBe(1);
    expect(res.stderr).toContain("the Jupyter server that started this kernel is gone");
  });

  it("exits when that server was SIGKILLed and is a zombie nobody has reaped yet (kill(pid, 0) still answers)", () => {
    // a stand-in for the process that started the server: its child (the "server") exits and stays
    // a zombie, then it starts the launcher naming that zombie, the way a server killed right after
    // its fork leaves it
    const script = [
      "import os, subprocess, sys",
      "server = os.fork()",
      "if server == 0: os._exit(0)",
      "while open(f'/proc/{server}/stat').read().rsplit(')', 1)[1].split()[0] != 'Z': pass",
      "os.kill(server, 0)  # a zombie still answers",
      "r = subprocess.run([sys.argv[1], sys.argv[2], '-f', '/nonexistent/kernel.json'], capture_output=True, text=True,",
      "                   env={'PATH': '/usr/bin:/bin', 'JPY_PARENT_PID': str(server)})",
      "sys.stderr.write(r.stderr); sys.exit(r.returncode)",
    ].join("\n");
    const res = spawnSync(projectPython(), ["-c", script, projectPython(), join(REPO_JUPYTER_DIR, "pyfleet_kernel.py")], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(res.status, res.stderr).toBe(1);
    expect(res.stderr).toContain("the Jupyter server that started this kernel is gone");
  });

  it("goes on while the server named by JPY_PARENT_PID lives (here to the missing connection file)", () => {
    const res = launch(process.pid);
    expect(res.status).not.toBe(0);
    expect(res.stderr).not.toContain("is gone");
    expect(res.stderr).toContain("/nonexistent/kernel.json");
  });
});
