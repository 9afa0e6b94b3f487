import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, type PyfleetConfig, RedisKeys, silentLogger } from "@pyfleet/core";
import { createFleet, type Fleet, RunReconciler } from "@pyfleet/fleet";
import { realPipelineBuilder } from "@pyfleet/runtime";
import { approveParked, countExecutionLogs, findFiles, REPO_CONFIG, type SpawnedWorker, spawnWorker, testApprovalStore, testDecisionKeys, testEnv, waitForStatus } from "@pyfleet/runtime/testing";
import { createRedisFixture, IocFixture, type RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const KEYS = testDecisionKeys();
const CODE = [
  "import os, time",
  "import epics",
  "with open('executions.log', 'a') as f:",
  "    f.write(str(os.getpid()) + '\\n')",
  "epics.caput('SR:MAG:QF1:CURRENT_SP', 100.5)",
  // the write manifest's dry run (cwd `dry-run`) runs this too, and must not take a minute
  "time.sleep(0 if os.path.basename(os.getcwd()) == 'dry-run' else 60)",
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

describe("at most one write execution when a write executor dies mid-run", () => {
  let fx: RedisFixture;
  let env: Record<string, string>;
  let config: PyfleetConfig;
  let fleet: Fleet;
  const workers: SpawnedWorker[] = [];
  let ioc: IocFixture;

  beforeAll(async () => {
    fx = await createRedisFixture("crash");
    // the simulated ring counts the puts: the at-most-once claim is checked at the device
    ioc = await IocFixture.start();
    // Short locks so a dead worker's job is found stalled within seconds, not 30 s.
    const file = join(testEnv(fx.prefix).PYFLEET_ARTIFACTS as string, "config.yml");
    // without the bubblewrap sandbox: its network namespace cannot reach the IOC yet (the CA gate is the containment work)
    const yml = readFileSync(REPO_CONFIG, "utf8").replace("lock_seconds: 30", "lock_seconds: 2").replace("stalled_check_seconds: 30", "stalled_check_seconds: 1");
    writeFileSync(file, yml.replace(/(sandbox:[^\n]*\n\s+enabled:) true/, "$1 false"));
    env = testEnv(fx.prefix, { ...KEYS, ...ioc.env, PYFLEET_CONFIG: file });
    config = loadConfig({ file, env, onWarning: () => {} });
    expect(config.queues.lock_seconds).toBe(2);
    expect(config.execution.sandbox.enabled).toBe(false);
    ({ fleet } = await createFleet(config, { stages: ["analyze", "execute"], modes: ["read_only"], logger: silentLogger(), build: realPipelineBuilder(env) }));
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop("SIGKILL")));
    await fleet?.close();
    await ioc?.close();
    await fx?.cleanup();
  });

  it("SIGKILL during the write: the stalled write job is failed, never run again (maxStalledCount 0); the run is outcome_unknown and can be reconciled", async () => {
    const keys = new RedisKeys(fx.prefix);
    const { store } = testApprovalStore(fx.redis, fx.prefix, KEYS.PYFLEET_SIGNING_KEYS);
    const { runId } = await fleet.submit({ user_query: "q", task_objective: "set a corrector", code: CODE }, { requester: "carol" });
    const { approval: rec } = await approveParked(fleet, store, runId);

    const first = await spawnWorker(["--stage", "execute", "--mode", "write_access"], env);
    workers.push(first);
    const root = env.PYFLEET_ARTIFACTS as string;
    const deadline = Date.now() + 30_000;
    while (countExecutionLogs(root) === 0) {
      if (Date.now() > deadline) throw new Error(`the write never started:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await first.stop("SIGKILL");
    // The harness dies with its executor (PR_SET_PDEATHSIG): the code does not run on unowned.
    const log = findFiles(root, "executions.log").find((f) => !f.includes("/dry-run/"));
    const harnessPid = Number(readFileSync(log ?? "", "utf8").trim());
    expect(harnessPid).toBeGreaterThan(0);
    await expect.poll(() => alive(harnessPid), { timeout: 5000 }).toBe(false);

    const second = await spawnWorker(["--stage", "execute", "--mode", "write_access"], env);
    workers.push(second);
    const done = await waitForStatus((id) => fleet.get(id), runId, ["outcome_unknown", "completed", "failed"], 30_000);
    expect(done.status).toBe("outcome_unknown");
    expect(done.error?.code).toBe("OUTCOME_UNKNOWN");
    await new Promise((r) => setTimeout(r, 3000));
    expect(countExecutionLogs(root)).toBe(1);
    // counted at the device: the killed executor's put happened or not, and nothing put it again
    expect(await ioc.putCount("SR:MAG:QF1:CURRENT_SP")).toBeLessThanOrEqual(1);
    expect((await ioc.puts()).filter((p) => p.pv === "SR:MAG:QF1:CURRENT_SP")).toHaveLength(await ioc.putCount("SR:MAG:QF1:CURRENT_SP"));
    expect((await fleet.get(runId))?.status).toBe("outcome_unknown");
    const marker = JSON.parse((await fx.redis.get(keys.execMarker(runId, 1))) as string);
    expect(marker).toMatchObject({ outcome: "running", codeHash: rec.codeHash });

    await new RunReconciler(fx.redis, keys).reconcile(runId, { outcome: "succeeded", note: "readback shows 0.5" }, "root");
    expect((await fleet.get(runId))?.status).toBe("completed");
    expect(countExecutionLogs(root)).toBe(1);
    expect(await ioc.putCount("SR:MAG:QF1:CURRENT_SP")).toBeLessThanOrEqual(1);
  });
});
