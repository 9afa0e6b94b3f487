import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { ExecutionOutcome } from "@pyfleet/core";
import { ensureDockerSandbox, type JupyterFixture, SANDBOX_SETUP_TIMEOUT_MS, startJupyterFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../main.js";

let dir: string;
let jupyter: JupyterFixture;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pyfleet-cli-exec-"));
  await writeFile(join(dir, "plot.py"), "import matplotlib.pyplot as plt\nprint('hi µ')\nplt.plot([1, 2])\nresults = {'c': context.a}\n");
  await writeFile(join(dir, "write.py"), "import epics as e\ne.caput('X:Y', 1)\ne.PV('Z').put(2)\n");
  await writeFile(join(dir, "ctx.json"), JSON.stringify({ a: 3 }));
  jupyter = await startJupyterFixture();
});
afterAll(async () => {
  await jupyter?.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[], env: NodeJS.ProcessEnv = { PATH: "/usr/bin:/bin" }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["exec", ...args], { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd: dir });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("pyfleet exec", () => {
  it("runs a file on the local backend and prints output, results and saved figures", async () => {
    const r = await cli(["plot.py", "--method", "local", "--context", "ctx.json", "--figures", "figs"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("hi µ");
    expect(r.out).toContain('"c": 3');
    expect(r.out).toMatch(/figure: .*figs\/figure_01\.png/);
    expect(await readdir(join(dir, "figs"))).toEqual(["figure_01.png"]);
  });

  it("exits 1 with the policy error for a write, and records writes with --dry-run --json", async () => {
    const refused = await cli(["write.py"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("PermissionError");
    expect(refused.err).toContain("[policy]");
    const dry = await cli(["write.py", "--dry-run", "--json"]);
    expect(dry.code).toBe(0);
    const outcome = JSON.parse(dry.out) as ExecutionOutcome;
    expect(outcome.recordedWrites.map((w) => [w.pv, w.value, w.order])).toEqual([
      ["X:Y", 1, 1],
      ["Z", 2, 2],
    ]);
  });

  it("runs on the container backend of the Jupyter server named by JUPYTER_HOST/PORT/TOKEN", async () => {
    const env = { PATH: "/usr/bin:/bin", JUPYTER_HOST: jupyter.host, JUPYTER_PORT: String(jupyter.port), JUPYTER_TOKEN: jupyter.token };
    const r = await cli(["plot.py", "--method", "container", "--context", "ctx.json", "--json"], env);
    expect(r.code).toBe(0);
    const outcome = JSON.parse(r.out) as ExecutionOutcome;
    expect(outcome).toMatchObject({ backend: "container", results: { c: 3 }, stdout: "hi µ\n" });
    expect(outcome.figures).toHaveLength(1);
    const kernels = await jupyter.listKernels();
    expect(kernels).toEqual([]);
  });

  it("prints no @jupyterlab/services 'Starting WebSocket' lines when run as a real process", async () => {
    const bin = fileURLToPath(new URL("../../bin/pyfleet.mjs", import.meta.url));
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", JUPYTER_HOST: jupyter.host, JUPYTER_PORT: String(jupyter.port), JUPYTER_TOKEN: jupyter.token };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, "exec", "plot.py", "--method", "container", "--context", "ctx.json"], { cwd: dir, env });
    expect(stdout).toContain("hi µ");
    expect(stdout).toContain("OK on container");
    expect(stdout + stderr).not.toContain("Starting WebSocket");
  });

  it("starts a private Jupyter server for --method container when no token is set", async () => {
    const r = await cli(["plot.py", "--method", "container", "--context", "ctx.json"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('"c": 3');
    expect(r.out).toContain("OK on container");
  });

  it("exits 2 on bad usage", async () => {
    expect((await cli(["plot.py", "--method", "ssh"])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  it(
    "runs on the docker backend (DOCKER_HOST): same output and results, and the write refused as policy",
    async () => {
      const { dockerHost } = await ensureDockerSandbox();
      const env = { PATH: "/usr/bin:/bin", DOCKER_HOST: dockerHost };
      const r = await cli(["plot.py", "--method", "docker", "--context", "ctx.json", "--json"], env);
      expect(r.code, r.err).toBe(0);
      const outcome = JSON.parse(r.out) as ExecutionOutcome;
      expect(outcome).toMatchObject({ backend: "docker", results: { c: 3 }, stdout: "hi µ\n" });
      expect(outcome.figures).toHaveLength(1);
      const refused = await cli(["write.py", "--method", "docker"], env);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain("PermissionError");
      expect(refused.err).toContain("[policy]");
    },
    SANDBOX_SETUP_TIMEOUT_MS,
  );
});
