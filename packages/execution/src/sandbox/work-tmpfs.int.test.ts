import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mountWorkTmpfs, sweepStaleWorkMounts, workMountPoints } from "./work-tmpfs.js";

const FIXTURE = new URL("../fork/testing/sandboxed-executor.fixture.ts", import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("work-tmpfs.int.test.ts skipped: mounting a work tmpfs needs root (a non-root executor mounts none)");

/** Work mounts whose owner marker names `pid`. */
async function mountsOf(pid: number): Promise<string[]> {
  const out: string[] = [];
  for (const point of await workMountPoints()) {
    const marker = await readFile(`${point}.pyfleet-owner`, "utf8").catch(() => "");
    if (marker && JSON.parse(marker).pid === pid) out.push(point);
  }
  return out;
}

describe.skipIf(!isRoot)("work tmpfs of an executor killed without close()", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanup) await c().catch(() => undefined);
    // the fixtures were SIGKILLed too: their mounts go the same way
    await sweepStaleWorkMounts();
  });

  it("is swept by the next executor's first mount: a SIGKILLed fork executor's mount is unmounted and its folder removed; live mounts stay", async () => {
    // a live mount of this process: the sweep must leave it alone
    const mine = await mkdtemp(join(tmpdir(), "pyfleet-tmpfs-live-"));
    const unmountMine = await mountWorkTmpfs(mine, 1, undefined);
    cleanup.push(async () => {
      await unmountMine?.();
      await rm(mine, { recursive: true, force: true });
    });

    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], { stdio: ["ignore", "pipe", "inherit"] });
    cleanup.push(async () => child.kill("SIGKILL"));
    await new Promise<void>((resolve, reject) => {
      let text = "";
      child.stdout.on("data", (b: Buffer) => {
        text += b.toString();
        if (text.includes("running")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`the fixture exited (${code}) before its run started`)));
    });
    const [stale] = await mountsOf(child.pid as number);
    expect(stale, "the fixture's executor mounted its work tmpfs").toMatch(/\/pyfleet-fork-[^/]+\/work$/);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    // killed without close(): the mount is still there
    expect(await workMountPoints()).toContain(stale);

    // the next sandboxed executor's first mount sweeps (once per process: this one swept at its
    // own first mount above, before the fixture existed, so sweep as a fresh process would)
    const swept = await sweepStaleWorkMounts();
    expect(swept).toContain(stale);
    expect(await workMountPoints()).not.toContain(stale);
    expect(existsSync(dirname(stale as string))).toBe(false);
    expect(await workMountPoints()).toContain(mine);
  }, 120_000);

  it("a fresh executor process sweeps on its own: its first run works and the stale mount is gone", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (b: Buffer) => b.toString().includes("running") && resolve());
      child.once("exit", (code) => reject(new Error(`the fixture exited (${code}) before its run started`)));
    });
    const [stale] = await mountsOf(child.pid as number);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    expect(await workMountPoints()).toContain(stale);

    const second = spawn(process.execPath, ["--import", "tsx", FIXTURE], { stdio: ["ignore", "pipe", "inherit"] });
    cleanup.push(async () => {
      const gone = new Promise((r) => second.once("exit", r));
      second.kill("SIGKILL");
      await gone;
    });
    await new Promise<void>((resolve, reject) => {
      second.stdout.on("data", (b: Buffer) => b.toString().includes("running") && resolve());
      second.once("exit", (code) => reject(new Error(`the second fixture exited (${code}) before its run started`)));
    });
    expect(await workMountPoints()).not.toContain(stale);
    expect(existsSync(dirname(stale as string))).toBe(false);
  }, 120_000);
});
