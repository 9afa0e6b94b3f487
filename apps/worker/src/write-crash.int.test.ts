import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisKeys } from "@pyfleet/core";
import { type Fleet, RunReconciler } from "@pyfleet/fleet";
import { approveParked, REPO_CONFIG, type SpawnedWorker, spawnWorker, startTestFleet, type TestFleet, waitForStatus } from "@pyfleet/runtime/testing";
import { IocFixture, type RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PV = "SR:MAG:QF1:CURRENT_SP";
// Sleeps only after its put really landed (read back from the IOC): the write manifest's dry run
// records the put instead of performing it, so it reads the old value and does not sleep.
const CODE = [
  "import time",
  "import epics",
  `epics.caput(${JSON.stringify(PV)}, 100.5, wait=True, timeout=5)`,
  `if epics.caget(${JSON.stringify(PV)}, use_monitor=False) == 100.5:`,
  "    time.sleep(60)",
  "results = {'done': True}",
  "",
].join("\n");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `root` (by parent pid, from /proc): the worker's sandboxes, gate and all. */
function descendants(root: number): Array<{ pid: number; comm: string }> {
  const procs: Array<{ pid: number; ppid: number; comm: string }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses
      const close = stat.lastIndexOf(")");
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      procs.push({ pid: Number(name), ppid, comm: stat.slice(stat.indexOf("(") + 1, close) });
    } catch {
      // gone meanwhile
    }
  }
  const found: Array<{ pid: number; comm: string }> = [];
  const todo = [root];
  for (let pid = todo.pop(); pid !== undefined; pid = todo.pop()) {
    for (const p of procs) {
      if (p.ppid !== pid) continue;
      found.push({ pid: p.pid, comm: p.comm });
      todo.push(p.pid);
    }
  }
  return found;
}

describe("at most one write execution when a write executor dies mid-run", () => {
  let t: TestFleet;
  let fx: RedisFixture;
  let env: Record<string, string>;
  let fleet: Fleet;
  const workers: SpawnedWorker[] = [];
  let ioc: IocFixture;

  beforeAll(async () => {
    // the simulated ring counts the puts: the at-most-once claim is checked at the device
    ioc = await IocFixture.start();
    // Short locks so a dead worker's job is found stalled within seconds, not 30 s.
    const file = join(mkdtempSync(join(tmpdir(), "pyfleet-crash-")), "config.yml");
    const yml = readFileSync(REPO_CONFIG, "utf8").replace("lock_seconds: 30", "lock_seconds: 2").replace("stalled_check_seconds: 30", "stalled_check_seconds: 1");
    writeFileSync(file, yml);
    t = await startTestFleet({
      tag: "crash",
      stages: ["analyze", "execute"],
      modes: ["read_only"],
      configFile: file,
      env: ioc.env,
      configure: (config) => {
        expect(config.queues.lock_seconds).toBe(2);
        // as in production: the code runs in bubblewrap and reaches the IOC only through the CA gate
        expect(config.execution.sandbox.enabled).toBe(true);
      },
    });
    ({ fleet, env, redis: fx } = t);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop("SIGKILL")));
    await t?.cleanup();
    await ioc?.close();
  });

  it("SIGKILL during the write: the stalled write job is failed, never run again (maxStalledCount 0); the run is outcome_unknown and can be reconciled", async () => {
    const keys = new RedisKeys(fx.prefix);
    const { store } = t.approvals();
    const { runId } = await fleet.submit({ user_query: "q", task_objective: "set a corrector", code: CODE }, { requester: "carol" });
    const { approval: rec } = await approveParked(fleet, store, runId);

    const first = await spawnWorker(["--stage", "execute", "--mode", "write_access"], env);
    workers.push(first);
    // the write started when the IOC counted its put (the code then sleeps in its sandbox)
    const deadline = Date.now() + 60_000;
    while ((await ioc.putCount(PV)) === 0) {
      if (Date.now() > deadline) throw new Error(`the write never reached the IOC:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const below = descendants(first.pid);
    expect(below.map((p) => p.comm)).toContain("bwrap");
    await first.stop("SIGKILL");
    // The sandbox (and the gate) die with their executor: the code does not run on unowned.
    await expect.poll(() => below.filter((p) => alive(p.pid)).map((p) => `${p.pid} ${p.comm}`), { timeout: 10_000 }).toEqual([]);

    const second = await spawnWorker(["--stage", "execute", "--mode", "write_access"], env);
    workers.push(second);
    const done = await waitForStatus((id) => fleet.get(id), runId, ["outcome_unknown", "completed", "failed"], 30_000);
    expect(done.status).toBe("outcome_unknown");
    expect(done.error?.code).toBe("OUTCOME_UNKNOWN");
    await new Promise((r) => setTimeout(r, 3000));
    // counted at the device: the killed executor's put happened once, and nothing put it again
    expect(await ioc.putCount(PV)).toBe(1);
    expect((await ioc.puts()).filter((p) => p.pv === PV)).toHaveLength(1);
    expect((await fleet.get(runId))?.status).toBe("outcome_unknown");
    const marker = JSON.parse((await fx.redis.get(keys.execMarker(runId, 1))) as string);
    expect(marker).toMatchObject({ outcome: "running", codeHash: rec.codeHash });

    await new RunReconciler(fx.redis, keys).reconcile(runId, { outcome: "succeeded", note: "readback shows 0.5" }, "root");
    expect((await fleet.get(runId))?.status).toBe("completed");
    expect(await ioc.putCount(PV)).toBe(1);
  });
});
