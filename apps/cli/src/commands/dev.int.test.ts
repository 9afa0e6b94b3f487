import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { FakeOpenAIServer } from "@pyfleet/testing";
import { describe, expect, it, onTestFinished } from "vitest";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));

describe("npm run demo (scripts/demo.sh)", () => {
  it("starts pyfleet dev, shows a read-only run, an EPICS write approved through the approver and audited, and a --task run, and exits 0", async () => {
    const fake = await FakeOpenAIServer.start({ models: ["gpt-4o-mini"] });
    fake.enqueue({ reply: "```python\nfib = [0, 1]\nwhile len(fib) < 20:\n    fib.append(fib[-1] + fib[-2])\nresults = {'fibonacci': fib, 'ratio': fib[-1] / fib[-2]}\n```" });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // Jupyter kernels reach the simulated IOC on loopback; the local backend's bubblewrap
      // sandbox has a network of its own (loopback only) until the CA gate bridges it
      PYFLEET_DEMO_KERNELS: "jupyter",
      PYFLEET_BOOTSTRAP_DOCKER: "0",
      PYFLEET_BOOTSTRAP_BROWSER: "0",
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: "demo-test",
    };
    const child = spawn("bash", ["scripts/demo.sh"], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    await fake.close();
    expect(code, out).toBe(0);
    expect(out).toMatch(/: completed \(read_only\)/);
    expect(out).toMatch(/simulated storage ring \(sim\/storage-ring\.yml, \d+ PVs\) on 127\.0\.0\.1:\d+/);
    // (a) read the live DCCT: the simulated ring sits between its top-up threshold and injection level
    const mean = Number(/results\.mean_mA = ([\d.]+)/.exec(out)?.[1]);
    expect(mean, out).toBeGreaterThan(397);
    expect(mean, out).toBeLessThan(401);
    // Files as URLs of the producer, never paths of its disk.
    expect(out).toMatch(/figure: http:\/\/127\.0\.0\.1:\d+\/v1\/runs\/\S+\/artifacts\/\S+\.png/);
    expect(out).toMatch(/notebook: http:\/\/127\.0\.0\.1:\d+\/v1\/runs\/\S+\/notebook/);
    expect(out).toMatch(/: awaiting_approval \(write_access\)/);
    expect(out).toMatch(/approved; the run continues/);
    expect(out).toMatch(/: completed \(write_access\)/);
    // the manifest shown before approval, the real write with its read-back, and the IOC's count
    expect(out).toMatch(/SR:MAG:QF1:CURRENT_SP {2}101\.000 A → 102\.500 A {2}\(limits 0 … 150 A\)/);
    expect(out).toMatch(/write #1: SR:MAG:QF1:CURRENT_SP = 102\.5 via epics\.caput \(ok, reads back 102\.5\)/);
    expect(out).toMatch(/before:\n {2}SR:MAG:QF1:CURRENT_SP = 101\.0 A, .* = 0\n/);
    expect(out).toMatch(/after .*\n {2}SR:MAG:QF1:CURRENT_SP = 102\.5 A, .* = 1\n/);
    expect(out).toMatch(/write\.started/);
    expect(out).toMatch(/audit chain intact: 5 entries/);
    expect(out).toMatch(/results\.ratio = 1\.618/);
    expect(fake.chatRequests).toHaveLength(1);
    expect(out).toMatch(/dev: stopped|== stopping/);
    // the demo stops what it started: no `pyfleet dev` of this demo (prefix pyfleet-demo-<bash pid>-…) survives it
    await new Promise((r) => setTimeout(r, 500));
    const ps = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" }).stdout;
    expect(ps.split("\n").filter((l) => l.includes(`pyfleet-demo-${child.pid}-`))).toEqual([]);
  }, 300_000);
});

describe("pyfleet dev without a Redis", () => {
  it("starts a private redis-server on a free port, says so, serves, and stops everything on SIGTERM", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: "redis://127.0.0.1:1", PYFLEET_LOG_LEVEL: "warn" };
    const child = spawn(
      process.execPath,
      ["apps/cli/bin/pyfleet.mjs", "dev", "--producer-port", "0", "--approver-port", "0", "--console-port", "0", "--kernels", "local", "--prefix", `devtest-${process.pid}`],
      { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    onTestFinished(() => {
      // a failed assertion must not leave this dev (and all it started) running
      if (child.exitCode === null) child.kill("SIGTERM");
    });
    // five app processes start at once: on a loaded 2-core machine that takes over a minute
    await expect.poll(() => out, { timeout: 180_000 }).toMatch(/dev: ready/);
    expect(out).toMatch(/no Redis at redis:\/\/127\.0\.0\.1:1; started a private redis-server at redis:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/Jupyter is not installed|--kernels local: code runs on the local backend/);
    const url = /PYFLEET_URL=(\S+?)\)/.exec(out)![1]!;
    const res = await fetch(`${url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_query: "q", task_objective: "t", code: "results = {'ok': True}" }),
    });
    expect(res.status).toBe(202);
    // The console is up beside the APIs and serves its page.
    const consoleUrl = /dev: console (http:\S+)/.exec(out)?.[1];
    expect(consoleUrl, out).toBeTruthy();
    expect(await (await fetch(`${consoleUrl}/`)).text()).toContain("pyfleet console");
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toMatch(/dev: stopped/);
  }, 240_000);
});
