import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecuteInput, ExecutionMode } from "@pyfleet/core";
import { isPyfleetError } from "@pyfleet/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { peakRetainedGrowth, RSS_PROBE_PY } from "../memory-probe.test-helpers.js";
import { DEFAULT_EXECUTION_OPTIONS, type ForkServerOptions, type LocalOptions } from "../options.js";
import type { SandboxOptions } from "../sandbox/sandbox-process.js";
import { ForkServerExecutor } from "./fork-server-executor.js";

const ORPHAN_FIXTURE = new URL("./testing/orphan-executor.fixture.ts", import.meta.url).pathname;

let root: string;
const MAX = 64 * 1024;
const ENV = { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", OPENAI_API_KEY: "sk-must-not-leak", JUPYTER_TOKEN: "t", HOME: "/nonexistent" };
const LOCAL: LocalOptions = { ...DEFAULT_EXECUTION_OPTIONS.execution.local, env_allowlist: ["PATH", "LANG", "OPENAI_API_KEY", "HOME"] };
const executors: ForkServerExecutor[] = [];

function make(mode: ExecutionMode = "read_only", forkServer: Partial<ForkServerOptions> = {}, sandbox?: SandboxOptions): ForkServerExecutor {
  const executor = new ForkServerExecutor({
    mode,
    ...(sandbox ? { sandbox } : {}),
    local: LOCAL,
    forkServer: { ...LOCAL.fork_server, ...forkServer },
    maxStdoutBytes: MAX,
    env: ENV,
  });
  executors.push(executor);
  return executor;
}

let ro: ForkServerExecutor;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pyfleet-fork-test-"));
  ro = make();
  await ro.warm();
});
afterAll(async () => {
  await Promise.all(executors.map((e) => e.close()));
  await rm(root, { recursive: true, force: true });
});

let n = 0;
function input(code: string, extra: Partial<ExecuteInput> = {}): ExecuteInput {
  return { runId: "f1", attempt: 1, code, mode: "read_only", context: null, workDir: join(root, `w${n++}`), timeoutMs: 20_000, dryRun: false, ...extra };
}

/** Children of `parentPid` whose fd 1 and 2 are sockets (forked children connected to the executor). */
async function connectedChildren(parentPid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid !== parentPid) continue;
    const fds = await Promise.all([1, 2].map((fd) => readlink(`/proc/${entry}/fd/${fd}`).catch(() => "")));
    if (fds.every((l) => l.startsWith("socket:"))) found.push(Number(entry));
  }
  return found;
}

const alive = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && !/^\d+ \(.*\) Z /.test(stat);
};

describe("ForkServerExecutor without a sandbox (a warm parent forks a fresh child per run)", () => {
  it("preloaded the common modules in a single-threaded parent that holds the allow-listed environment only", async () => {
    const info = ro.parentInfo;
    expect(info?.preloaded).toEqual(["numpy", "pandas", "matplotlib", "matplotlib.pyplot", "epics"]);
    expect(info?.threads).toBe(1);
    const environ = (await readFile(`/proc/${info?.pid}/environ`, "utf8")).split("\0").filter(Boolean);
    const names = environ.map((kv) => kv.split("=")[0]).sort();
    expect(names).not.toContain("OPENAI_API_KEY");
    expect(names).not.toContain("JUPYTER_TOKEN");
    expect(names).toEqual(["HOME", "LANG", "MPLBACKEND", "PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE"]);
  });

  it("runs in the attempt folder with context, unicode stdout, results and a figure, in a child of the parent", async () => {
    const streamed: string[] = [];
    const inp = input(
      "import os, sys, matplotlib.pyplot as plt\nprint('µA ✓ 日本')\nprint('warn', file=sys.stderr)\nplt.plot([1, 2])\nopen('out.txt', 'w').write('x')\nresults = {'cwd': os.getcwd(), 'v': context.v, 'ppid': os.getppid(), 'pid': os.getpid(), 'path0': sys.path[0]}",
      { context: { v: [1, 2] }, onOutput: (_s, t) => streamed.push(t) },
    );
    const outcome = await ro.execute(inp);
    expect(outcome.error).toBeUndefined();
    expect(outcome.stdout).toBe("µA ✓ 日本\n");
    expect(outcome.stderr).toBe("warn\n");
    expect(streamed.join("")).toContain("µA ✓ 日本\n");
    expect(outcome.results).toMatchObject({ cwd: inp.workDir, v: [1, 2], ppid: ro.parentInfo?.pid, path0: inp.workDir });
    expect(outcome.results?.pid).not.toBe(ro.parentInfo?.pid);
    expect(outcome.figures).toHaveLength(1);
    expect(outcome.backend).toBe("local");
    expect(await readdir(inp.workDir)).toEqual(["out.txt"]);
  });

  it("streams whole lines: the pieces of one printed line arrive as one chunk", async () => {
    const chunks: string[] = [];
    const code = "import sys, time\nfor i in range(2):\n    sys.stdout.write('part')\n    time.sleep(0.1)\n    print(' rest', i)\n    time.sleep(0.1)";
    const outcome = await ro.execute(input(code, { onOutput: (s, t) => s === "stdout" && chunks.push(t) }));
    expect(outcome.error).toBeUndefined();
    expect(chunks).toEqual(["part rest 0\n", "part rest 1\n"]);
  });

  it("leaks nothing from one run into the next: modules, globals, builtins, figures, guard state", async () => {
    const first = await ro.execute(
      input(
        "import sys, builtins, wave, matplotlib.pyplot as plt\nbuiltins.LEAK = 1\nsys.LEAK = 2\nimport numpy\nnumpy.LEAK = 3\nplt.figure(); plt.plot([1])\nplt.figure(); plt.plot([2])\nx_global = 4\nresults = {'wave': 'wave' in sys.modules}",
      ),
    );
    expect(first.results).toEqual({ wave: true });
    expect(first.figures).toHaveLength(2);
    const second = await ro.execute(
      input(
        "import sys, builtins, numpy, matplotlib.pyplot as plt\nresults = {'wave': 'wave' in sys.modules, 'b': hasattr(builtins, 'LEAK'), 's': hasattr(sys, 'LEAK'), 'np': hasattr(numpy, 'LEAK'), 'g': 'x_global' in globals(), 'figs': plt.get_fignums()}",
      ),
    );
    expect(second.results).toEqual({ wave: false, b: false, s: false, np: false, g: false, figs: [] });
    expect(second.figures).toHaveLength(0);
  });

  it("returns a user error as a value with a clean traceback", async () => {
    const outcome = await ro.execute(input("x = {}\nx['missing']"));
    expect(outcome.error).toMatchObject({ ename: "KeyError", category: "code" });
    expect(outcome.error?.traceback).toContain('File "code.py", line 2');
    expect(outcome.error?.traceback).not.toContain("harness");
    expect(outcome.error?.traceback).not.toContain("forkserver");
  });

  it("keeps API keys and tokens away from user code even when allow-listed", async () => {
    const outcome = await ro.execute(input("import os\nresults = {'env': sorted(os.environ)}"));
    const env = outcome.results?.env as string[];
    expect(env).not.toContain("OPENAI_API_KEY");
    expect(env).not.toContain("JUPYTER_TOKEN");
    expect(env).toContain("PATH");
  });

  it("applies the rlimits from config in the child", async () => {
    const outcome = await ro.execute(
      input("import resource as r\nresults = {'nofile': r.getrlimit(r.RLIMIT_NOFILE)[0], 'as': r.getrlimit(r.RLIMIT_AS)[0] // 2**20, 'cpu': r.getrlimit(r.RLIMIT_CPU)[0]}"),
    );
    expect(outcome.results).toEqual({ nofile: 256, as: 2048, cpu: 900 });
  });

  it("turns hitting the memory limit (RLIMIT_AS) into a MemoryError", async () => {
    const outcome = await ro.execute(input("block = bytearray(3 * 1024 ** 3)"));
    expect(outcome.error).toMatchObject({ ename: "MemoryError", category: "code" });
  });

  it("truncates 20 MB of stdout with a marker and holds none of it in memory", async () => {
    let streamedBytes = 0;
    const { value: outcome, growthBytes } = await peakRetainedGrowth(() =>
      ro.execute(
        input(`${RSS_PROBE_PY}\nline = 'x' * 1023 + '\\n'\nfor _ in range(20 * 1024):\n    sys.stdout.write(line)\nresults = {'done': True, 'rss_growth': rss() - rss0}`, {
          // 20 k writes of 1 KB take 10-20 s on a loaded 2-core machine
          timeoutMs: 90_000,
          onOutput: (_s, t) => {
            streamedBytes += Buffer.byteLength(t);
          },
        }),
      ),
    );
    expect(growthBytes).toBeLessThan(15 * 2 ** 20);
    expect(outcome.results?.rss_growth).toBeLessThan(8 * 2 ** 20);
    expect(outcome.results).toMatchObject({ done: true });
    expect(outcome.stdoutTruncated).toBe(true);
    expect(outcome.stdout).toMatch(/\[pyfleet: output truncated at 65536 bytes .*; 2090\d{4} more bytes dropped\]/);
    expect(streamedBytes).toBe(MAX);
  });

  it("stops time.sleep(60) at a 2 s timeout within 4 s and reports where it stopped", async () => {
    const started = Date.now();
    const outcome = await ro.execute(input("import time\ntime.sleep(60)", { timeoutMs: 2000 }));
    expect(Date.now() - started).toBeLessThan(4000);
    expect(outcome.error).toMatchObject({ ename: "ExecutionTimeout", category: "code" });
    expect(outcome.error?.traceback).toContain("time.sleep(60)");
  });

  it("kills code that ignores SIGINT, and what it left running in its process group", async () => {
    const outcome = await ro.execute(
      input("import signal, subprocess, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nbg = subprocess.Popen(['sleep', '60'])\nprint(bg.pid, flush=True)\ntime.sleep(60)", {
        timeoutMs: 1000,
      }),
    );
    expect(outcome.error?.ename).toBe("ExecutionTimeout");
    const pid = Number(outcome.stdout.trim());
    expect(pid).toBeGreaterThan(1);
    await expect.poll(() => alive(pid), { timeout: 3000 }).toBe(false);
  });

  it("ends a run at the child's finish mark without waiting for the child's exit, and the parent kills the child's group", async () => {
    // the code sends a report and the finish mark itself, then sleeps instead of exiting: the
    // run ends there (waiting for the exit, it ran into its timeout) and nothing of it survives
    const code = [
      "import json, os, socket, stat, subprocess, time",
      "bg = subprocess.Popen(['sleep', '60'])",
      "report = {'protocol': 1, 'status': 'ok', 'results': {'pid': os.getpid(), 'bg': bg.pid}, 'error': None, 'figures': [], 'recorded_writes': [], 'warnings': [], 'interrupted': False, 'duration_ms': 1.0, 'output_dropped': {}}",
      // the job connection is the one socket above fd 2; the listing is taken before the dup,
      // whose number can be one the listing held: stop at the first socket (a second send after
      // the shutdown would be EPIPE, and SIGPIPE is the default action in a child)
      "for fd in sorted(int(f) for f in os.listdir('/proc/self/fd')):",
      "    try:",
      "        if fd > 2 and stat.S_ISSOCK(os.fstat(fd).st_mode):",
      "            ctl = socket.socket(fileno=os.dup(fd))",
      "            ctl.sendall(json.dumps(report).encode() + b'\\0')",
      "            ctl.shutdown(socket.SHUT_WR)",
      "            break",
      "    except OSError:",
      "        pass",
      "time.sleep(60)",
    ].join("\n");
    const started = Date.now();
    const outcome = await ro.execute(input(code, { timeoutMs: 10_000 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(outcome.error).toBeUndefined();
    const { pid, bg } = outcome.results as { pid: number; bg: number };
    await expect.poll(() => alive(pid), { timeout: 3000 }).toBe(false);
    await expect.poll(() => alive(bg), { timeout: 3000 }).toBe(false);
    // a run that does not cut itself short keeps what its threads print after the report
    const late = await ro.execute(input("import threading, time\nthreading.Thread(target=lambda: (time.sleep(0.2), print('late', flush=True))).start()"));
    expect(late.stdout).toBe("late\n");
  });

  it("throws an infrastructure error when the child dies before reporting, never running the code again, and serves the next run", async () => {
    // the code started (its start mark was sent): the job must not go to another child
    const marks = join(root, "died-marks");
    const err = await ro.execute(input(`import os\nwith open(${JSON.stringify(marks)}, "a") as f: f.write("ran\\n")\nos._exit(7)`)).catch((e: unknown) => e);
    expect(isPyfleetError(err) && err.code === "KERNEL_DIED" && err.category === "infrastructure").toBe(true);
    expect(isPyfleetError(err) && err.details?.codeStarted).not.toBe(false);
    expect(await readFile(marks, "utf8")).toBe("ran\n");
    expect((await ro.execute(input("results = {'ok': 1}"))).results).toEqual({ ok: 1 });
  });

  it("gives the job to another child when the spare it took dies before it starts the code (killed behind the executor's back)", async () => {
    const fork = make();
    await fork.warm();
    const parentPid = fork.parentInfo?.pid as number;
    // the spares are forked and connected (fd 1 and 2 are their output connections); stopped,
    // they cannot read a job, so each dies without its start mark when killed below
    await expect.poll(() => connectedChildren(parentPid), { timeout: 10_000 }).toHaveLength(LOCAL.fork_server.spare_children);
    const pids = await connectedChildren(parentPid);
    await new Promise((r) => setTimeout(r, 200)); // the hub has routed their connections
    for (const pid of pids) process.kill(pid, "SIGSTOP");
    const marks = join(root, "spare-marks");
    const run = fork.execute(input(`with open(${JSON.stringify(marks)}, "a") as f: f.write("ran\\n")\nresults = {'ok': 2}`));
    await new Promise((r) => setTimeout(r, 200)); // the job went to a stopped spare
    for (const pid of pids) process.kill(pid, "SIGKILL");
    expect((await run).results).toEqual({ ok: 2 });
    expect(await readFile(marks, "utf8")).toBe("ran\n");
  });

  it("refuses epics writes in read-only mode (guard already installed and locked) and records them in a dry run", async () => {
    const refused = await ro.execute(input("import epics as e\ne.PV('X:Y').put(1)"));
    expect(refused.error).toMatchObject({ ename: "PermissionError", category: "policy" });
    const relax = await ro.execute(input("import pyfleet_harness as h\nh.install_guard('write_access')\nimport epics\nepics.caput('X:Y', 1)"));
    expect(relax.error).toMatchObject({ ename: "PermissionError", category: "policy" });
    const dry = await ro.execute(input("import epics\nepics.caput('A', 1)\nepics.caput('B', 2)", { dryRun: true }));
    expect(dry.error).toBeUndefined();
    expect(dry.recordedWrites.map((w) => [w.pv, w.order])).toEqual([
      ["A", 1],
      ["B", 2],
    ]);
  });

  it("keeps read-only and write parents apart: a write parent is another process whose guard is not read-only", async () => {
    const rw = make("write_access");
    const outcome = await rw.execute(
      input("import os, pyfleet_harness as h\nresults = {'ppid': os.getppid(), 'ro': h.GUARD.read_only}", { mode: "write_access" }),
    );
    expect(outcome.results?.ro).toBe(false);
    expect(outcome.results?.ppid).not.toBe(ro.parentInfo?.pid);
    await expect(ro.execute(input("1", { mode: "write_access" }))).rejects.toMatchObject({ code: "BACKEND_MISCONFIGURED" });
  });

  it("runs children concurrently, each with its own output and results", async () => {
    const started = Date.now();
    const outs = await Promise.all(
      [0, 1, 2].map((i) => ro.execute(input(`import os, time\nprint('run', ${i})\ntime.sleep(1)\nresults = {'i': ${i}, 'pid': os.getpid()}`))),
    );
    expect(Date.now() - started).toBeLessThan(2900);
    expect(outs.map((o) => o.results?.i)).toEqual([0, 1, 2]);
    expect(outs.map((o) => o.stdout)).toEqual(["run 0\n", "run 1\n", "run 2\n"]);
    expect(new Set(outs.map((o) => o.results?.pid)).size).toBe(3);
  });

  it("survives a child that kills its parent: that run fails as infrastructure, the next one gets a new parent", async () => {
    const executor = make();
    const before = (await executor.execute(input("import os\nresults = {'ppid': os.getppid()}"))).results?.ppid as number;
    const killer = input("import os, signal, time\nopen('pid', 'w').write(str(os.getpid()))\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(30)");
    const err = await executor.execute(killer).catch((e: unknown) => e);
    const childPid = Number(await readFile(join(killer.workDir, "pid"), "utf8"));
    expect(isPyfleetError(err) && err.code === "KERNEL_DIED" && err.retryable).toBe(true);
    expect(await alive(before)).toBe(false);
    // the child went with its parent (PR_SET_PDEATHSIG), not 30 s later
    expect(childPid).toBeGreaterThan(1);
    await expect.poll(() => alive(childPid), { timeout: 2000 }).toBe(false);
    const after = await executor.execute(input("import os\nresults = {'ppid': os.getppid()}"));
    expect(after.results?.ppid).toBeGreaterThan(0);
    expect(after.results?.ppid).not.toBe(before);
  });

  it("replaces its parent after max_runs_per_parent runs, in the background, without failing a run", async () => {
    const executor = make("read_only", { max_runs_per_parent: 3 });
    const ppids: number[] = [];
    const deadline = Date.now() + 60_000;
    // the successor imports in the background while the old parent goes on serving
    while (new Set(ppids).size < 2 && Date.now() < deadline) {
      const o = await executor.execute(input("import os\nresults = {'ppid': os.getppid()}"));
      ppids.push(o.results?.ppid as number);
      await new Promise((r) => setTimeout(r, 100));
    }
    const distinct = [...new Set(ppids)];
    expect(distinct.length).toBe(2);
    expect(ppids.indexOf(distinct[1] as number)).toBeGreaterThanOrEqual(3);
    // the retired parent exits once its last child (its spare) is reaped
    await expect.poll(() => alive(distinct[0] as number), { timeout: 5000 }).toBe(false);
  });

  it("close() kills the parent and a running child", async () => {
    const executor = make();
    let childPid = 0;
    let settled: Promise<unknown> = Promise.resolve();
    const printed = new Promise<void>((resolve) => {
      const running = executor.execute(
        input("import os, time\nprint(os.getpid(), flush=True)\ntime.sleep(60)", {
          onOutput: (_s, t) => {
            childPid = Number(t.trim());
            resolve();
          },
        }),
      );
      settled = running.then(
        () => null,
        (e: unknown) => e,
      );
    });
    await printed;
    const parentPid = executor.parentInfo?.pid as number;
    expect(await alive(childPid)).toBe(true);
    await executor.close();
    expect(await settled).toMatchObject({ code: "CANCELLED" });
    expect(await alive(parentPid)).toBe(false);
    await expect.poll(() => alive(childPid), { timeout: 3000 }).toBe(false);
    await expect(executor.execute(input("1"))).rejects.toMatchObject({ code: "BACKEND_UNAVAILABLE" });
  });

  it("dies with its executor: a SIGKILLed executor leaves neither the parent nor a running (write) child behind", async () => {
    const executor = spawn(process.execPath, ["--import", "tsx", ORPHAN_FIXTURE], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      let text = "";
      executor.stdout.on("data", (b: Buffer) => {
        text += b.toString();
        if (text.includes("\n")) resolve(text.trim());
      });
      executor.once("exit", (code) => reject(new Error(`the fixture exited (${code}) before its child ran`)));
    });
    const [childPid, parentPid] = line.split(" ").map(Number) as [number, number];
    expect(await alive(childPid)).toBe(true);
    expect(await alive(parentPid)).toBe(true);
    executor.kill("SIGKILL");
    await expect.poll(() => alive(parentPid), { timeout: 5000 }).toBe(false);
    await expect.poll(() => alive(childPid), { timeout: 5000 }).toBe(false);
  });
});

describe("ForkServerExecutor inside bubblewrap (execution.sandbox)", () => {
  let sandboxed: ForkServerExecutor;
  beforeAll(async () => {
    sandboxed = make("read_only", {}, DEFAULT_EXECUTION_OPTIONS.execution.sandbox);
    await sandboxed.warm();
  });

  it("runs each child as the sandbox uid in a private folder whose files reach the attempt folder, with the allow-listed environment", async () => {
    const inp = input(
      "import os\nopen('out.txt', 'w').write('x')\nos.mkdir('sub')\nopen('sub/b.txt', 'w').write('y')\nresults = {'cwd': os.getcwd(), 'uid': os.getuid(), 'ppid': os.getppid(), 'env': sorted(os.environ), 'home': os.path.exists('/root'), 'runs': os.listdir('..') if os.access('..', os.R_OK) else None}",
    );
    const outcome = await sandboxed.execute(inp);
    expect(outcome.error).toBeUndefined();
    expect(outcome.results).toMatchObject({ uid: 65534, ppid: 1, home: false, runs: null });
    expect(outcome.results?.cwd).toMatch(/^\/run\/pyfleet\/work\/[A-Za-z0-9_-]+$/);
    expect(outcome.results?.env).not.toContain("OPENAI_API_KEY");
    expect(outcome.results?.env).not.toContain("JUPYTER_TOKEN");
    expect((await readdir(inp.workDir)).sort()).toEqual(["out.txt", "sub"]);
    expect(await readFile(join(inp.workDir, "sub", "b.txt"), "utf8")).toBe("y");
  });

  it("keeps the parent out of its children's reach: signals to pid 1 are ignored and the next run is served by the same parent", async () => {
    const hostPid = sandboxed.parentInfo?.hostPid as number;
    const outcome = await sandboxed.execute(
      input("import os, signal\nfor sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):\n    os.kill(1, sig)\nresults = {'ppid': os.getppid()}"),
    );
    expect(outcome.results).toEqual({ ppid: 1 });
    expect(await alive(hostPid)).toBe(true);
    expect((await sandboxed.execute(input("results = {'ok': 1}"))).results).toEqual({ ok: 1 });
    expect(sandboxed.parentInfo?.hostPid).toBe(hostPid);
  });

  it("has no network but loopback, and still applies timeouts, the read-only guard and the memory limit", async () => {
    const net = await sandboxed.execute(
      input("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 6379), timeout=1)\n    r = 'connected'\nexcept OSError as e:\n    r = type(e).__name__\nresults = {'redis': r}"),
    );
    expect(net.results?.redis).not.toBe("connected");
    const slow = await sandboxed.execute(input("import time\ntime.sleep(60)", { timeoutMs: 1500 }));
    expect(slow.error).toMatchObject({ ename: "ExecutionTimeout", category: "code" });
    const ro = await sandboxed.execute(input("import epics\nepics.caput('X:Y', 1)"));
    expect(ro.error).toMatchObject({ ename: "PermissionError", category: "policy" });
    const mem = await sandboxed.execute(input("block = bytearray(3 * 1024 ** 3)"));
    expect(mem.error).toMatchObject({ ename: "MemoryError", category: "code" });
  });

  it("runs children concurrently and leaks nothing between them", async () => {
    const outs = await Promise.all([0, 1].map((i) => sandboxed.execute(input(`import sys, builtins\nbuiltins.MARK = ${i}\nimport wave\nresults = {'i': ${i}}`))));
    expect(outs.map((o) => o.results?.i)).toEqual([0, 1]);
    const next = await sandboxed.execute(input("import sys, builtins\nresults = {'wave': 'wave' in sys.modules, 'mark': hasattr(builtins, 'MARK')}"));
    expect(next.results).toEqual({ wave: false, mark: false });
  });
});
