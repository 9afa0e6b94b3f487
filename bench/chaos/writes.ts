/**
 * Chaos check of write safety (ARCHITECTURE §6): submits M approved EPICS-write runs, each putting
 * a value of its own to a magnet setpoint of the simulated IOC (sim/, started here), while
 * SIGKILLing write executor processes, half the time the one executing a write right now (its
 * execution marker in Redis names it), and restarting them. Checks, counted at the IOC's put log:
 *   - no write run put more than once, killed executors included (at most once, no excuses);
 *   - every run reached a terminal status; a completed run put exactly once and returned its
 *     own `results.i`; an `outcome_unknown` run put at most once;
 *   - the audit chain verifies (and the summary counts hops enqueued again because their executor
 *     was lost before the code started: no execution marker);
 *   - reconciling every `outcome_unknown` run (as an admin would, from the IOC's put log) ends it.
 * Executions go through the local backend's sandbox and CA gate (`isolation: spawn`: the fork
 * server's sandbox has no gate yet). Exit code 1 on any violation.
 *
 *   npx tsx bench/chaos/writes.ts                       (40 runs, seed 1)
 *   npx tsx bench/chaos/writes.ts --runs 80 --seed 7
 */
import { isTerminalStatus, RedisKeys, type RunRecord, type SignedDecision } from "@pyfleet/core";
import { type ApprovalRecord, type ApprovalStore, type AuditLog, RunReconciler } from "@pyfleet/fleet";
import { testApprovalStore, testDecisionKeys } from "@pyfleet/runtime/testing";
import { IocFixture, seededRandom } from "@pyfleet/testing";
import { type BenchFleet, waitAllTerminal } from "../e2e/harness.js";
import { loadAverage } from "../e2e/stats.js";
import { argInt, report, runMain, sleep, spawnInto, takeRandom, topUp, type WorkerPool, withChaosBench, workerPool } from "./kit.js";

const RUNS = argInt("--runs", 40);
if (RUNS > 270) throw new Error("--runs: at most 270 (each run puts a value of its own below the magnets' DRVH of 150 A)");
const SEED = argInt("--seed", 1);
const KEYS = testDecisionKeys();
const rng = seededRandom(SEED);

const PVS = ["SR:MAG:QF1:CURRENT_SP", "SR:MAG:QD1:CURRENT_SP", "SR:MAG:QF2:CURRENT_SP", "SR:MAG:QD2:CURRENT_SP"];
/** Run i's PV and its own value (within DRVL 0 … DRVH 150 for up to 270 runs): the put log tells the runs apart. */
const target = (i: number) => ({ pv: PVS[i % PVS.length] as string, value: 10 + i * 0.5 + 0.25 });

/** Pauses before and after the put (the manifest's dry run, cwd `dry-run`, skips them). */
const code = (i: number) =>
  [
    "import os, time",
    "import epics",
    `pause = 0 if os.path.basename(os.getcwd()) == "dry-run" else ${(0.2 + (i % 4) * 0.2).toFixed(1)}`,
    "time.sleep(pause)",
    `epics.caput(${JSON.stringify(target(i).pv)}, ${target(i).value}, wait=True, timeout=5)`,
    "time.sleep(pause)",
    `results = {"i": ${i}}`,
  ].join("\n");

/** Accepted puts per run index, from the IOC's put log. */
async function putsPerRun(ioc: IocFixture, runs: number): Promise<number[]> {
  const puts = (await ioc.puts()).filter((p) => p.accepted);
  return Array.from({ length: runs }, (_, i) => puts.filter((p) => p.pv === target(i).pv && p.value === target(i).value).length);
}

/**
 * Approves every pending approval (quoting its code hash) and resumes the run, like the approver;
 * a decision not delivered (an error) is retried from the unresumed list, like the approver's sweep.
 */
function autoApprover(bench: BenchFleet, store: ApprovalStore): { stop(): Promise<void>; approved: () => number; errors: string[] } {
  let running = true;
  let approved = 0;
  const errors: string[] = [];
  const resume = async (rec: ApprovalRecord, decision: SignedDecision) => {
    await bench.fleet.resumeRun(rec.runId, decision);
    await store.markResumed(rec.id);
    approved++;
  };
  const loop = (async () => {
    while (running) {
      try {
        for (const rec of await store.list({ status: "pending", limit: 50 })) {
          const { released } = await store.decide(rec.id, { id: "chaos-approver", roles: ["approver"] }, { decision: "approve", codeHash: rec.codeHash, reason: "chaos bench" });
          if (released) await resume(rec, released);
        }
        for (const rec of await store.listUnresumed()) if (rec.signedDecision) await resume(rec, rec.signedDecision);
      } catch (err) {
        errors.push((err as Error).message);
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
    approved: () => approved,
    errors,
  };
}

interface Chaos {
  writers: WorkerPool;
  killed: Set<number>;
  midWrite: number;
  random: number;
}

/**
 * SIGKILLs the executor whose execution marker (Redis: `workerId` host:pid, outcome running) is
 * open right now, or otherwise a random one.
 */
async function chaosStep(bench: BenchFleet, chaos: Chaos, ids: string[], pending: Promise<void>[]): Promise<void> {
  const keys = new RedisKeys(bench.fx.prefix);
  const markers = await Promise.all(ids.map((id) => bench.fx.redis.get(keys.execMarker(id, 1))));
  const busyPids = markers.flatMap((m) => {
    const marker = m ? (JSON.parse(m) as { outcome: string; workerId: string }) : null;
    return marker?.outcome === "running" ? [Number(marker.workerId.split(":").at(-1))] : [];
  });
  const busyIndex = chaos.writers.workers.findIndex((w) => busyPids.includes(w.pid) && !chaos.killed.has(w.pid));
  const victim = rng() < 0.5 && busyIndex >= 0 ? chaos.writers.workers.splice(busyIndex, 1)[0] : takeRandom(chaos.writers, rng);
  if (!victim) return;
  if (busyPids.includes(victim.pid)) chaos.midWrite++;
  else chaos.random++;
  chaos.killed.add(victim.pid);
  victim.child.kill("SIGKILL");
  pending.push(sleep(300 + rng() * 1700).then(() => spawnInto(bench, chaos.writers)));
}

async function main(bench: BenchFleet, ioc: IocFixture): Promise<number> {
  const { store, audit } = testApprovalStore(bench.fx.redis, bench.fx.prefix, KEYS.PYFLEET_SIGNING_KEYS);
  const analyzers = workerPool(["--stage", "analyze"], 1);
  // The write manifest's dry run (preview) runs on a read-only executor before a write run parks.
  const readers = workerPool(["--stage", "execute", "--mode", "read_only"], 1);
  const chaos: Chaos = { writers: workerPool(["--stage", "execute", "--mode", "write_access"], 2), killed: new Set(), midWrite: 0, random: 0 };
  const approver = autoApprover(bench, store);
  try {
    process.stdout.write(`write chaos: ${RUNS} approved write runs at the simulated IOC, seed ${SEED}, prefix ${bench.fx.prefix}\n`);
    await topUp(bench, [analyzers, readers, chaos.writers]);
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      ids.push((await bench.client.submit({ user_query: "chaos", task_objective: `write chaos run ${i}`, code: code(i) })).runId);
    }
    const t0 = Date.now();
    const pending: Promise<void>[] = [];
    // Chaos until every run is terminal (or 5 minutes): writes run one at a time across the fleet.
    for (let open = ids.length; open > 0 && Date.now() - t0 < 300_000; ) {
      await sleep(1000 + rng() * 2500);
      await chaosStep(bench, chaos, ids, pending);
      open = (await Promise.all(ids.map((id) => bench.fleet.get(id)))).filter((r) => !r || !isTerminalStatus(r.status)).length;
      process.stdout.write(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: ${ids.length - open}/${ids.length} runs ended\n`);
    }
    await Promise.all(pending);
    await topUp(bench, [analyzers, readers, chaos.writers]);
    const done = await waitAllTerminal(bench.fleet, ids, 120_000);
    return await verdict(bench, ids, done, ioc, chaos, audit, Date.now() - t0, approver);
  } finally {
    await approver.stop();
  }
}

async function verdict(
  bench: BenchFleet,
  ids: string[],
  done: Map<string, RunRecord>,
  ioc: IocFixture,
  chaos: Chaos,
  audit: AuditLog,
  elapsedMs: number,
  approver: { approved: () => number; errors: string[] },
): Promise<number> {
  const violations: string[] = [];
  const puts = await putsPerRun(ioc, ids.length);
  const byStatus = new Map<string, number>();
  const unknown: Array<{ id: string; ran: boolean }> = [];
  for (const [i, id] of ids.entries()) {
    const rec = done.get(id) ?? (await bench.fleet.get(id));
    const status = rec?.status ?? "missing";
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    const n = puts[i] ?? 0;
    if (n > 1) violations.push(`WRITE RAN ${n} TIMES: run ${i} (${id}) put ${target(i).value} to ${target(i).pv} ${n} times (IOC put log)`);
    if (!rec || !isTerminalStatus(rec.status)) violations.push(`run ${i} (${id}) is not terminal: ${status}`);
    else if (rec.status === "completed") {
      if (n !== 1) violations.push(`run ${i} (${id}) completed with ${n} puts at the IOC`);
      const got = (await bench.fleet.details(id))?.final?.result?.results.i;
      if (got !== i) violations.push(`run ${i} (${id}) completed with results.i = ${JSON.stringify(got)}`);
    } else if (rec.status === "outcome_unknown") {
      unknown.push({ id, ran: n > 0 });
    } else {
      process.stdout.write(`  run ${i} ${rec.status}: ${rec.error?.code ?? "?"} ${rec.error?.message?.slice(0, 160) ?? ""}\n`);
    }
  }
  const reconciler = new RunReconciler(bench.fx.redis, new RedisKeys(bench.fx.prefix));
  for (const u of unknown) {
    const outcome = u.ran ? "succeeded" : "failed";
    const { status } = await reconciler.reconcile(u.id, { outcome, note: `chaos bench: the IOC's put log shows ${u.ran ? "one" : "no"} put` }, "chaos-admin");
    if (status !== (u.ran ? "completed" : "failed")) violations.push(`reconciling ${u.id} as ${outcome} left it ${status}`);
  }
  const chain = await audit.verify();
  const requeued = (await audit.range("-", 100_000)).filter((e) => e.type === "write.requeued").length;
  if (!chain.ok) violations.push(`audit chain broken at ${chain.brokenAt}: ${chain.reason}`);
  const counters = await Promise.all(PVS.map(async (pv) => Number(await ioc.get(`SIM:PUTS:${pv}`))));
  const logged = await Promise.all(PVS.map((pv) => ioc.putCount(pv)));
  if (counters.join() !== logged.join()) violations.push(`the IOC's SIM:PUTS counters ${counters.join("/")} differ from its put log ${logged.join("/")}`);
  return report(
    [
      ["write runs", `${ids.length}, approved ${approver.approved()}, all ended within ${(elapsedMs / 1000).toFixed(1)} s`],
      ["approver errors", approver.errors.length === 0 ? "none" : `${approver.errors.length} (retried), first: ${approver.errors[0]}`],
      ["terminal statuses", [...byStatus].map(([s, n]) => `${s} ${n}`).join(", ")],
      ["puts at the IOC", `${puts.reduce((a, b) => a + b, 0)} (runs that put once ${puts.filter((n) => n === 1).length}, more than once ${puts.filter((n) => n > 1).length}); SIM:PUTS counters ${counters.join("/")}`],
      [
        "outcome_unknown",
        `${unknown.length} (had put ${unknown.filter((u) => u.ran).length}, killed before the put ${unknown.filter((u) => !u.ran).length}); all reconciled`,
      ],
      ["requeued", `${requeued} write hops whose executor was lost before the code started (no marker)`],
      [
        "chaos actions",
        `SIGKILL of the executor running a write ${chaos.midWrite}, of a random write executor ${chaos.random}, failed restarts ${chaos.writers.spawnFailures}`,
      ],
      ["audit chain", `${chain.ok ? "intact" : "BROKEN"}, ${chain.entries} entries`],
    ],
    violations,
    loadAverage(),
  );
}

// Executors get the public key only; the in-process auto-approver signs.
runMain("write chaos", async () => {
  const ioc = await IocFixture.start();
  try {
    return await withChaosBench(
      "chaos-writes",
      { PYFLEET_VERIFY_KEYS: KEYS.PYFLEET_VERIFY_KEYS, ...ioc.env },
      (bench) => main(bench, ioc),
      { execution: { local: { isolation: "spawn" } }, control_system: { write_connection_timeout_seconds: 5 } },
    );
  } finally {
    await ioc.close();
  }
});
