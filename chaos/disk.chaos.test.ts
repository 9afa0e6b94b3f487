/**
 * A full artifacts disk: the artifacts root is a small tmpfs of the test's own (never the machine's
 * disk), filled to the last byte while the fleet serves. Needs root (mount); fails loudly without.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { createRedisFixture, type RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedApp, spawnApp } from "./lib/apps.js";
import { byStatus, chaosEnv, clientFor, fmt, WorkerSet, waitTerminal } from "./lib/fleet-env.js";
import { recordOutcome, secondsSince } from "./lib/outcomes.js";

const FILE = "chaos/disk.chaos.test.ts";
const SIZE = "16m";
/** What a clear error about the disk says. */
const FULL = /no space|ENOSPC|disk is full/i;

/** Writes zeros into `file` until the file system says it is full; returns the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
        // the last partial chunk: byte by byte until nothing fits
        if (chunk.length === 1) return written;
        return written + fillRest(fd);
      }
    }
  } finally {
    closeSync(fd);
  }
}

function fillRest(fd: number): number {
  let n = 0;
  for (const size of [4096, 512, 1]) {
    const b = Buffer.alloc(size);
    for (;;) {
      try {
        n += writeSync(fd, b);
      } catch {
        break;
      }
    }
  }
  return n;
}

/**
 * Files below `root` a reader would take for finished ones but are not: JSON/notebooks that do not
 * parse, a `big.bin` shorter than the runs wrote (1 or 2 MB), and temp files left behind.
 */
function brokenFiles(root: string): { broken: string[]; temps: string[] } {
  const broken: string[] = [];
  const temps: string[] = [];
  for (const f of readdirSync(root, { recursive: true, encoding: "utf8" })) {
    if (f.endsWith(".tmp")) temps.push(f);
    else if (basename(f) === "big.bin" && ![1_000_000, 2_000_000].includes(statSync(join(root, f)).size)) broken.push(f);
    else if (/\.(json|ipynb)$/.test(f)) {
      try {
        JSON.parse(readFileSync(join(root, f), "utf8"));
      } catch {
        broken.push(f);
      }
    }
  }
  return { broken, temps };
}

describe("artifacts disk full", () => {
  let fx: RedisFixture;
  let mount: string;
  let workers: WorkerSet | undefined;
  const apps: SpawnedApp[] = [];
  beforeAll(async () => {
    fx = await createRedisFixture("chaos-disk");
    mount = mkdtempSync(join(tmpdir(), "pyfleet-chaos-disk-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", `size=${SIZE},mode=0777`, "tmpfs", mount]);
    } catch (err) {
      throw new Error(`the full-disk scenario mounts a ${SIZE} tmpfs as the artifacts root and needs root (mount): ${(err as Error).message}`);
    }
  });
  afterAll(async () => {
    await workers?.killAll();
    await Promise.allSettled(apps.map((a) => a.kill()));
    if (mount) {
      execFileSync("umount", ["-l", mount]);
      rmSync(mount, { recursive: true, force: true });
    }
    await fx?.cleanup();
  });

  it("runs on a full artifacts disk fail with a clear error; workers keep serving; nothing half-written is served; runs complete once space is back", async () => {
    const t0 = Date.now();
    const root = join(mount, "artifacts");
    const env = chaosEnv(fx.prefix, { PYFLEET_ARTIFACTS: root });
    workers = new WorkerSet(env);
    const [analyzer, executor] = await Promise.all([workers.spawn(["--stage", "analyze"]), workers.spawn(["--stage", "execute", "--mode", "read_only"])]);
    const producer = await spawnApp("producer", env);
    apps.push(producer);
    const client = clientFor(producer.url);
    const run = async (label: string, code: string) => (await client.submit({ user_query: "chaos", task_objective: label, code })).runId;
    const before = await run("before", 'results = {"ok": 1}');
    expect((await waitTerminal(client, [before], 120_000)).get(before)?.status).toBe("completed");

    const filler = join(mount, "filler");
    const filled = fill(filler);
    // A run that writes results, one that leaves a 1 MB file in its folder, one with a figure.
    const full = [
      await run("results on a full disk", 'results = {"x": list(range(1000))}'),
      await run("a file on a full disk", 'open("big.bin", "wb").write(b"x" * 1_000_000)\nresults = {"ok": 1}'),
      await run("a figure on a full disk", 'import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nresults = {"ok": 1}'),
    ];
    const fullDone = await waitTerminal(client, full, 180_000, { what: "runs on the full disk", procs: [...workers.all, ...apps] });
    const errors = full.map((id) => fullDone.get(id)?.error ?? null);
    // Nearly full: 512 KiB free, enough for the run's own records, not for the 2 MB file its code leaves.
    truncateSync(filler, statSync(filler).size - 512 * 1024);
    const bigFile = await run("a 2 MB file with 512 KiB free", 'open("big.bin", "wb").write(b"x" * 2_000_000)\nresults = {"ok": 1}');
    const big = (await waitTerminal(client, [bigFile], 180_000, { what: "runs with 512 KiB free", procs: [...workers.all, ...apps] })).get(bigFile);
    const files = brokenFiles(root);

    rmSync(filler);
    const after = await run("after", 'results = {"ok": 2}');
    const afterDone = (await waitTerminal(client, [after], 120_000, { what: "runs after space came back", procs: [...workers.all, ...apps] })).get(after);
    const alive = [analyzer, executor].every((w) => w?.child.exitCode === null && w.child.signalCode === null) && producer.child.exitCode === null;
    const counts = byStatus(fullDone.values());
    const clear = errors.every((e) => e !== null && FULL.test(e.message));
    // A run whose file did not fit: failed with a clear error, or completed without that file (never with part of it).
    const bigOk = big?.status === "failed" ? FULL.test(big.error?.message ?? "") : big?.status === "completed";
    recordOutcome({
      id: "infra-disk-full",
      group: "infrastructure",
      scenario: `Artifacts root on a ${SIZE} tmpfs filled to the last byte (${(filled / 1048576).toFixed(1)} MB of filler), then 3 runs (results, a 1 MB file, a figure); then 512 KiB freed and a run leaving a 2 MB file; then all space freed; no process restarted`,
      expectation: "Each run fails with a clear error; workers keep serving; nothing half-written is served; runs complete again once there is space",
      outcome: `${fmt(counts)}; errors: ${errors.map((e) => (e ? `${e.code}/${e.category}: ${e.message.slice(0, 140)}` : "none")).join(" | ")}; JSON/notebook files that do not parse ${files.broken.length}, temp files left ${files.temps.length}; 2 MB file with 512 KiB free: ${big?.status ?? "missing"}${big?.error ? ` (${big.error.code}: ${big.error.message.slice(0, 140)})` : ""}; run after freeing space ${afterDone?.status ?? "missing"}; processes alive ${alive}`,
      test: `${FILE} > runs on a full artifacts disk`,
      passed: counts.failed === full.length && clear && bigOk && files.broken.length === 0 && files.temps.length === 0 && afterDone?.status === "completed" && alive,
      seconds: secondsSince(t0),
    });
    expect(counts).toEqual({ failed: full.length });
    for (const e of errors) expect(e?.message).toMatch(FULL);
    expect(bigOk, JSON.stringify(big)).toBe(true);
    expect(files.broken).toEqual([]);
    expect(files.temps).toEqual([]);
    expect(afterDone?.status).toBe("completed");
    expect(alive).toBe(true);
  });
});
