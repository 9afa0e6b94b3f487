/**
 * Write executor SIGKILLed mid-write, counted at the simulated IOC (sim/, its put log and its
 * SIM:PUTS:<pv> counters): approved write runs each put one value of their own to a magnet
 * setpoint; the write executor process is killed after its code started but before the put, after
 * the put reached the IOC, or not at all. Executions go through the sandbox and its CA gate
 * (`isolation: spawn`: the fork server's sandbox has no gate yet, docs/security.md).
 */
import { RedisKeys } from "@pyfleet/core";
import { createRedisFixture, IocFixture, type RedisFixture } from "@pyfleet/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedApp, spawnApp } from "./lib/apps.js";
import { byStatus, chaosEnv, clientFor, fmt, WorkerSet, waitTerminal } from "./lib/fleet-env.js";
import { recordOutcome, secondsSince } from "./lib/outcomes.js";
import { autoApprove } from "./lib/runs.js";

const FILE = "chaos/write-crash.chaos.test.ts";
const PVS = ["SR:MAG:QF1:CURRENT_SP", "SR:MAG:QD1:CURRENT_SP", "SR:MAG:QF2:CURRENT_SP", "SR:MAG:QD2:CURRENT_SP"];
const KILLS = ["before the put", "after the put", "none"] as const;
type Kill = (typeof KILLS)[number];
const RUNS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run i's PV and its own value (within DRVL 0 … DRVH 150): the put log tells every run's puts apart. */
const target = (i: number) => ({ pv: PVS[i % PVS.length] as string, value: 40 + i + 0.25 });

/** Pauses around the put so the kill lands where it should; the manifest's dry run (cwd `dry-run`) skips them. */
const code = (i: number) =>
  [
    "import os, time",
    "import epics",
    "pause = 0 if os.path.basename(os.getcwd()) == 'dry-run' else 2.0",
    "time.sleep(pause)",
    `epics.caput(${JSON.stringify(target(i).pv)}, ${target(i).value}, wait=True, timeout=5)`,
    "time.sleep(pause)",
    `results = {"i": ${i}}`,
  ].join("\n");

describe("write executor SIGKILLed mid-write (counted at the IOC)", () => {
  let fx: RedisFixture;
  let ioc: IocFixture;
  let workers: WorkerSet | undefined;
  const apps: SpawnedApp[] = [];
  beforeAll(async () => {
    [fx, ioc] = await Promise.all([createRedisFixture("chaos-wkill"), IocFixture.start()]);
  }, 120_000);
  afterAll(async () => {
    await workers?.killAll();
    await Promise.allSettled(apps.map((a) => a.kill()));
    await ioc?.close();
    await fx?.cleanup();
  });

  it("killed before or after its put: outcome_unknown with at most one put, never two; runs not killed put exactly once", async () => {
    const t0 = Date.now();
    const env = chaosEnv(fx.prefix, { ...ioc.env }, { execution: { local: { isolation: "spawn" } }, control_system: { write_connection_timeout_seconds: 5 } });
    const keys = new RedisKeys(fx.prefix);
    workers = new WorkerSet(env);
    const spawnWriter = () => {
      const w = (workers as WorkerSet).spawn(["--stage", "execute", "--mode", "write_access"]);
      // awaited where it is needed; a failed start throws there
      w.catch(() => undefined);
      return w;
    };
    // The replacement of a killed executor boots while the next run is analysed, previewed and approved.
    let writer = spawnWriter();
    await Promise.all([writer, workers.spawn(["--stage", "analyze"]), workers.spawn(["--stage", "execute", "--mode", "read_only"])]);
    const producer = await spawnApp("producer", env);
    const approver = await spawnApp("approver", env);
    apps.push(producer, approver);
    const client = clientFor(producer.url);
    const approving = autoApprove(() => approver.url);
    const putsOf = async (i: number) => (await ioc.puts()).filter((p) => p.pv === target(i).pv && p.value === target(i).value && p.accepted).length;
    const ids: string[] = [];
    const kills: Kill[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const kill = KILLS[i % KILLS.length] as Kill;
        kills.push(kill);
        const { runId } = await client.submit({ user_query: "chaos", task_objective: `set a magnet (${kill})`, code: code(i) });
        ids.push(runId);
        if (kill === "none") continue;
        // From outside: the execution marker in Redis says the code started; the IOC's put log says the put landed.
        const deadline = Date.now() + 120_000;
        const ready = async () => (kill === "before the put" ? (await fx.redis.exists(keys.execMarker(runId, 1))) === 1 && (await putsOf(i)) === 0 : (await putsOf(i)) === 1);
        while (!(await ready())) {
          if (Date.now() > deadline) throw new Error(`run ${i} never reached "${kill}":\n${(await writer).output()}`);
          await sleep(50);
        }
        await (await writer).stop("SIGKILL");
        writer = spawnWriter();
      }
      await writer;
      const done = await waitTerminal(client, ids, 180_000, { what: "write runs", procs: [...workers.all, ...apps] });
      await approving.stop();
      const puts = await Promise.all(ids.map((_, i) => putsOf(i)));
      const statuses = ids.map((id) => done.get(id)?.status ?? "missing");
      // The IOC's own counters agree with its put log (nothing else wrote).
      const counters = await Promise.all(PVS.map(async (pv) => Number(await ioc.get(`SIM:PUTS:${pv}`))));
      const logged = await Promise.all(PVS.map((pv) => ioc.putCount(pv)));
      const rows = ids.map((_, i) => `run ${i} killed ${kills[i]}: ${statuses[i]}, ${puts[i]} put(s)`);
      const expected = kills.map((k) => (k === "none" ? "completed" : "outcome_unknown"));
      const expectedPuts = kills.map((k): number => (k === "after the put" || k === "none" ? 1 : 0));
      recordOutcome({
        id: "crash-write",
        group: "crash",
        scenario: `Write executor (sandboxed, CA gate) SIGKILLed while an approved write run's code waits before its put, or right after the put reached the IOC; ${RUNS} runs, a new executor started after each kill`,
        expectation: "A killed write ends outcome_unknown with at most one put at the IOC (the one it made, if any), never a second; runs not killed complete with exactly one put",
        outcome: `${fmt(byStatus(done.values()))}; ${rows.join("; ")}; IOC counters SIM:PUTS ${counters.join("/")} = put log ${logged.join("/")}`,
        test: `${FILE} > killed before or after its put`,
        passed: JSON.stringify(statuses) === JSON.stringify(expected) && JSON.stringify(puts) === JSON.stringify(expectedPuts) && JSON.stringify(counters) === JSON.stringify(logged),
        seconds: secondsSince(t0),
      });
      expect(statuses).toEqual(expected);
      expect(puts).toEqual(expectedPuts);
      expect(counters).toEqual(logged);
      expect(logged.reduce((a, b) => a + b, 0)).toBe(expectedPuts.reduce((a, b) => a + b, 0));
    } finally {
      await approving.stop();
    }
  });
});
