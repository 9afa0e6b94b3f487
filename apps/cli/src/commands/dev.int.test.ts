import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));

describe("npm run demo (scripts/demo.sh)", () => {
  it("starts pyfleet dev, shows a completed read-only run and a run parked for approval, and exits 0", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PYFLEET_DEMO_KERNELS: "local", PYFLEET_BOOTSTRAP_DOCKER: "0", PYFLEET_BOOTSTRAP_BROWSER: "0" };
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
    const child = spawn("bash", ["scripts/demo.sh"], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code, out).toBe(0);
    expect(out).toMatch(/: completed \(read_only\)/);
    expect(out).toMatch(/results\.mean_mA = /);
    expect(out).toMatch(/figures: .*figure/);
    expect(out).toMatch(/notebook: .*notebook\.ipynb/);
    expect(out).toMatch(/: awaiting_approval \(write_access\)/);
    expect(out).toMatch(/set OPENAI_API_KEY/);
    expect(out).toMatch(/dev: stopped|== stopping/);
  }, 180_000);
});

describe("pyfleet dev without a Redis", () => {
  it("starts a private redis-server on a free port, says so, serves, and stops everything on SIGTERM", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: "redis://127.0.0.1:1", PYFLEET_LOG_LEVEL: "warn" };
    const child = spawn(
      process.execPath,
      ["apps/cli/bin/pyfleet.mjs", "dev", "--producer-port", "0", "--approver-port", "0", "--kernels", "local", "--prefix", `devtest-${process.pid}`],
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
    await expect.poll(() => out, { timeout: 90_000 }).toMatch(/dev: ready/);
    expect(out).toMatch(/no Redis at redis:\/\/127\.0\.0\.1:1; started a private redis-server at redis:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/Jupyter is not installed|--kernels local: code runs on the local backend/);
    const url = /PYFLEET_URL=(\S+?)\)/.exec(out)![1]!;
    const res = await fetch(`${url}/v1/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_query: "q", task_objective: "t", code: "results = {'ok': True}" }),
    });
    expect(res.status).toBe(202);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toMatch(/dev: stopped/);
  }, 120_000);
});
