import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { projectPython } from "@pyfleet/core";
import { REPO_JUPYTER_DIR, startJupyterFixture } from "@pyfleet/testing";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_EXECUTION_OPTIONS } from "../options.js";
import { ContainerExecutor } from "./container-executor.js";
import { makeServerSettings } from "./jupyter-settings.js";

// The kernel inside a sandbox exits when its launcher's lifeline closes: bubblewrap arms the
// sandbox's parent-death signal only after it forked, so a launcher killed right after starting
// a kernel could leave it running (seen in CI after the Jupyter chaos test). The kernel side is
// exercised here without bubblewrap (`--inside`, the lifeline on fd 3); the sandboxed kernels of
// the Jupyter tests and the hostile suite run with it through the launcher.
const LAUNCHER = join(REPO_JUPYTER_DIR, "pyfleet_kernel.py");
const HARNESS = new URL("../../harness/pyfleet_harness.py", import.meta.url).pathname;

const started: ChildProcess[] = [];
let dir: string | undefined;
afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** A kernel started as the sandbox starts it (`--inside`), with or without a lifeline on fd 3. */
function startInside(lifeline: boolean, lifelineFd = "3"): { child: ChildProcess; ready: Promise<void> } {
  dir = mkdtempSync(join(tmpdir(), "pyfleet-lifeline-"));
  const connection = join(dir, "connection.json");
  const ports = { shell_port: 0, iopub_port: 0, stdin_port: 0, control_port: 0, hb_port: 0 };
  writeFileSync(connection, JSON.stringify({ transport: "tcp", ip: "127.0.0.1", key: "", signature_scheme: "hmac-sha256", ...ports }));
  const child = spawn(projectPython(), [LAUNCHER, "--inside", "-f", connection], {
    env: {
      PATH: "/usr/bin:/bin",
      HOME: dir,
      IPYTHONDIR: join(dir, ".ipython"),
      MPLCONFIGDIR: join(dir, ".mpl"),
      PYFLEET_KERNEL_MODE: "read_only",
      PYFLEET_HARNESS: HARNESS,
      ...(lifeline ? { PYFLEET_KERNEL_LIFELINE_FD: lifelineFd } : {}),
    },
    stdio: ["ignore", "pipe", "pipe", lifeline ? "pipe" : "ignore"],
  });
  started.push(child);
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      output += b.toString("utf8");
      // ipykernel prints how to connect once its sockets are bound
      if (/--existing|To connect another client/.test(output)) resolve();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => reject(new Error(`the kernel exited (${signal ?? code}) before it was ready: ${output.slice(-1500)}`)));
  });
  return { child, ready };
}

describe("a sandboxed kernel's lifeline", () => {
  it("ends the kernel once the lifeline's write end is closed, and not before", async () => {
    const { child, ready } = startInside(true);
    await ready;
    const pid = child.pid as number;
    await new Promise((r) => setTimeout(r, 500));
    expect(alive(pid)).toBe(true);
    const exited = new Promise<number | string | null>((resolve) => {
      child.once("exit", (code) => resolve(code));
      setTimeout(() => resolve("still running 10 s after its lifeline closed"), 10_000);
    });
    (child.stdio[3] as Writable).destroy();
    expect(await exited).toBe(137);
  }, 60_000);

  it("refuses to start with a lifeline that is not a descriptor number, naming the variable", async () => {
    const { child, ready } = startInside(true, "three");
    await expect(ready).rejects.toThrow(/exited \(1\).*PYFLEET_KERNEL_LIFELINE_FD must be the number of an open pipe's read end, not 'three'/s);
    expect(child.exitCode).toBe(1);
  }, 60_000);

  it("leaves a kernel without a lifeline (the sandbox off) running", async () => {
    const { child, ready } = startInside(false);
    await ready;
    await new Promise((r) => setTimeout(r, 1000));
    expect(alive(child.pid as number)).toBe(true);
  }, 60_000);

  it("is armed in a kernel the launcher starts in bubblewrap: the SIGIO handler, on an O_ASYNC pipe", async () => {
    const jupyter = await startJupyterFixture();
    const executor = new ContainerExecutor({
      kernelName: "python3-epics-readonly",
      mode: "read_only",
      settings: makeServerSettings(jupyter),
      container: { ...DEFAULT_EXECUTION_OPTIONS.execution.container, pool_min_idle: 0, pool_max_size: 1 },
      maxStdoutBytes: 64 * 1024,
    });
    try {
      const code = [
        "import os, signal",
        "O_ASYNC = 0o20000",
        "def link(fd):",
        "    try:",
        "        return os.readlink(f'/proc/self/fd/{fd}')",
        "    except OSError:",
        "        return ''  # the listing's own descriptor, closed by now",
        "pipes = [int(fd) for fd in os.listdir('/proc/self/fd') if link(fd).startswith('pipe:')]",
        "flags = {fd: int(open(f'/proc/self/fdinfo/{fd}').read().split('flags:')[1].split()[0], 8) for fd in pipes}",
        "results = {'handler': callable(signal.getsignal(signal.SIGIO)), 'async_pipes': sum(1 for f in flags.values() if f & O_ASYNC), 'env': 'PYFLEET_KERNEL_LIFELINE_FD' in os.environ}",
      ].join("\n");
      const outcome = await executor.execute({ runId: "lifeline", attempt: 1, code, mode: "read_only", context: null, workDir: "/nonexistent", timeoutMs: 60_000, dryRun: false });
      expect(outcome.error).toBeUndefined();
      expect(outcome.results).toEqual({ handler: true, async_pipes: 1, env: false });
    } finally {
      await executor.close();
      await jupyter.close();
    }
  }, 120_000);
});
