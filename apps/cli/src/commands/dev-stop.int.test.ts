import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { descendantsOf, type ProcessEntry } from "./process-tree.js";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
/** The project config with a short drain, so a stop with a busy run takes seconds, not 30. */
const config = join(mkdtempSync(join(tmpdir(), "devstop-")), "config.yml");
const project = readFileSync(join(repo, "config.yml"), "utf8");
if (!/drain_seconds: 30 /.test(project)) throw new Error("config.yml no longer sets queues.drain_seconds: 30; update this test");
writeFileSync(config, project.replace(/drain_seconds: 30 /, "drain_seconds: 2 "));

/** Start time (`ps -o lstart`) of each live, non-zombie pid, read by ps, not by the code under test. */
function liveByPs(): Map<number, string> {
  const out = spawnSync("ps", ["-eo", "pid=,stat=,lstart="], { encoding: "utf8" }).stdout;
  const live = new Map<number, string>();
  for (const line of out.split("\n")) {
    const m = /^\s*(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (m && !m[2]!.startsWith("Z")) live.set(Number(m[1]), m[3]!);
  }
  return live;
}

interface Dev {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every dev started here: one a failed test left running is stopped after it. */
const started: Dev[] = [];
afterEach(async () => {
  for (const dev of started.splice(0)) {
    if (dev.child.exitCode === null && dev.child.signalCode === null) {
      dev.child.kill("SIGTERM");
      await dev.exited;
    }
  }
});

async function startDev(kernels: "jupyter" | "local", tag: string): Promise<Dev> {
  // REDIS_URL points nowhere: dev starts its own redis-server, one more process it must stop
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: "redis://127.0.0.1:1", PYFLEET_LOG_LEVEL: "warn" };
  delete env.PYFLEET_DEV_ROLE;
  delete env.EPICS_CA_ADDR_LIST;
  const args = ["apps/cli/bin/pyfleet.mjs", "dev", "--config", config, "--producer-port", "0", "--approver-port", "0", "--console-port", "0"];
  const child = spawn(process.execPath, [...args, "--kernels", kernels, "--prefix", `devstop-${process.pid}-${tag}`], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  started.push({ child, output: () => out, exited });
  await expect.poll(() => out, { timeout: 120_000, interval: 250 }).toMatch(/dev: ready|exited|Error/);
  expect(out).toMatch(/dev: ready/);
  return { child, output: () => out, exited };
}

/** Submits a run that sleeps, and waits until its code runs (a kernel / forked child is busy). */
async function busyRun(dev: Dev): Promise<void> {
  const url = /PYFLEET_URL=(\S+?)\)/.exec(dev.output())![1]!;
  const headers = { "content-type": "application/json" };
  const res = await fetch(`${url}/v1/runs`, { method: "POST", headers, body: JSON.stringify({ user_query: "q", task_objective: "t", code: "import time\ntime.sleep(120)\nresults = {}" }) });
  expect(res.status, await res.clone().text()).toBe(202);
  const { runId } = (await res.json()) as { runId: string };
  await expect
    .poll(async () => ((await (await fetch(`${url}/v1/runs/${runId}`, { headers })).json()) as { status: string }).status, { timeout: 60_000, interval: 250 })
    .toBe("executing");
  // the code itself is running (past the harness start)
  await new Promise((r) => setTimeout(r, 1500));
}

/**
 * A process's name: /proc's `comm`, except "node" for a node process. `comm` is the main thread's
 * name, which Node 24 sets to "MainThread"; the executable tells node apart (python's `comm` is
 * what the tests expect, its executable's name is python3.11).
 */
function programOf(e: ProcessEntry): string {
  try {
    return basename(readlinkSync(`/proc/${e.pid}/exe`)) === "node" ? "node" : e.command;
  } catch {
    return e.command;
  }
}

/** Everything below the `pyfleet dev` process now (named by program), with what ps says each one's start time is. */
function snapshot(root: number): Array<ProcessEntry & { lstart: string }> {
  const ps = liveByPs();
  return descendantsOf(root)
    .filter((e) => ps.has(e.pid))
    .map((e) => ({ ...e, command: programOf(e), lstart: ps.get(e.pid)! }));
}

async function expectAllGone(procs: Array<ProcessEntry & { lstart: string }>, timeoutMs: number): Promise<void> {
  const alive = () => {
    const ps = liveByPs();
    return procs.filter((p) => ps.get(p.pid) === p.lstart).map((p) => `${p.pid} ${p.command}`);
  };
  await expect.poll(alive, { timeout: timeoutMs, interval: 200 }).toEqual([]);
}

const commands = (procs: ProcessEntry[]) => procs.map((p) => p.command);

describe("pyfleet dev leaves no process it started alive", () => {
  it("SIGTERM: Jupyter server, its kernels (own sessions), the IOC, redis-server and the fleet all end; exit 0", async () => {
    const dev = await startDev("jupyter", "term");
    await busyRun(dev);
    const procs = snapshot(dev.child.pid!);
    expect(commands(procs)).toEqual(expect.arrayContaining(["redis-server", "python", "node"]));
    // the kernels run in sessions of their own: a process-group kill would miss them
    expect(procs.filter((p) => p.command === "python").length, JSON.stringify(procs)).toBeGreaterThanOrEqual(4);
    dev.child.kill("SIGTERM");
    expect((await dev.exited).code, dev.output()).toBe(0);
    expect(dev.output()).toMatch(/dev: SIGTERM: stopping/);
    expect(dev.output()).toMatch(/dev: stopped/);
    await expectAllGone(procs, 5000);
  }, 240_000);

  it("SIGINT: a run busy on the fork server's forked child; everything ends; exit 0", async () => {
    const dev = await startDev("local", "int");
    await busyRun(dev);
    const procs = snapshot(dev.child.pid!);
    expect(commands(procs)).toEqual(expect.arrayContaining(["redis-server", "python", "node"]));
    dev.child.kill("SIGINT");
    expect((await dev.exited).code, dev.output()).toBe(0);
    expect(dev.output()).toMatch(/dev: SIGINT: stopping/);
    await expectAllGone(procs, 5000);
  }, 240_000);

  it("SIGKILL of the dev process: the fleet sees its supervisor gone and stops everything it started", async () => {
    const dev = await startDev("jupyter", "kill");
    await busyRun(dev);
    const procs = snapshot(dev.child.pid!);
    expect(procs.filter((p) => p.command === "python").length).toBeGreaterThanOrEqual(4);
    dev.child.kill("SIGKILL");
    expect((await dev.exited).signal).toBe("SIGKILL");
    await expectAllGone(procs, 30_000);
  }, 240_000);

  it("SIGKILL of the fleet process under it: the supervisor stops the orphans (kernels, IOC, redis-server) and exits non-zero", async () => {
    const dev = await startDev("jupyter", "crash");
    await busyRun(dev);
    const procs = snapshot(dev.child.pid!);
    const fleet = procs.find((p) => p.ppid === dev.child.pid && p.command === "node");
    expect(fleet, JSON.stringify(procs)).toBeDefined();
    process.kill(fleet!.pid, "SIGKILL");
    expect((await dev.exited).code).toBe(128 + 9);
    expect(dev.output()).toMatch(/the fleet process ended \(SIGKILL\)/);
    await expectAllGone(procs, 10_000);
  }, 240_000);
});
