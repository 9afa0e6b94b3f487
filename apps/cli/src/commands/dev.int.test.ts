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
