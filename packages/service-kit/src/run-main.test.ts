import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./run-main.fixture.ts", import.meta.url));
const REPO_CONFIG = fileURLToPath(new URL("../../../config.yml", import.meta.url));

/** The fixture service as a real process (signals are process-wide, so never in the test's own). */
function start(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null>; ready: Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PYFLEET_CONFIG: REPO_CONFIG } });
  let out = "";
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  const collect = (d: Buffer) => {
    out += d.toString();
    if (out.includes("pyfleet-fixture ready")) onReady();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, out: () => out, exit, ready };
}

describe("runMain (every service's main)", () => {
  it("exits 2 with the usage on an unknown option", async () => {
    const p = start(["--bogus"]);
    expect(await p.exit).toBe(2);
    expect(p.out()).toMatch(/pyfleet-fixture: .*--bogus[\s\S]*Usage: pyfleet-fixture \[--config FILE\]/);
  });

  it("exits 2 on a config that does not load, naming the field and its fix", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "pyfleet-runmain-")), "config.yml");
    writeFileSync(file, readFileSync(REPO_CONFIG, "utf8").replace(/^(\s+port:) 8080\b.*$/m, "$1 eighty"));
    const p = start(["--config", file]);
    expect(await p.exit).toBe(2);
    expect(p.out()).toMatch(/pyfleet-fixture: [\s\S]*framework\.producer\.port/);
  });

  it("exits 1 with the reason when it cannot start", async () => {
    const p = start(["--fail-start"]);
    expect(await p.exit).toBe(1);
    expect(p.out()).toMatch(/pyfleet-fixture: cannot start: cannot reach redis at redis:\/\//);
  });

  it("drains on SIGTERM and exits 0", async () => {
    const p = start(["--drain-ms", "300"]);
    await p.ready;
    const t0 = Date.now();
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(p.out()).toContain("pyfleet-fixture: SIGTERM: finishing 1 thing, then exiting (send it again to stop at once)");
    expect(p.out()).toContain("pyfleet-fixture stopped");
  });

  it("stops at once on a second signal during the drain, exit 1", async () => {
    const p = start(["--drain-ms", "forever"]);
    await p.ready;
    p.child.kill("SIGINT");
    await expect.poll(() => p.out()).toContain("SIGINT: finishing 1 thing");
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(1);
    expect(p.out()).toContain("pyfleet-fixture: second SIGTERM: stopping without waiting for the drain");
  });
});
