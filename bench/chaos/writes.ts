/**
 * Chaos check of write safety (ARCHITECTURE §6): submits M approved EPICS-write runs (dry run: the
 * harness records the caput instead of performing it; no IOC here) while SIGKILLing write executor
 * processes, half the time the one executing a write right now, and restarting them. Checks:
 *   - no write run executed more than once, killed executors included (at most once, no excuses);
 *   - every run reached a terminal status; a completed run executed exactly once and returned its
 *     own `results.i`; an `outcome_unknown` run executed at most once;
 *   - the audit chain verifies (and the summary counts hops enqueued again because their executor
 *     was lost before the code started: no execution marker);
 *   - reconciling every `outcome_unknown` run (as an admin would, from the execution log) ends it.
 * Each run's code appends "<run index> <executor pid>" to a log file before its write, so
 * executions are counted outside the fleet. Exit code 1 on any violation.
 *
 *   npx tsx bench/chaos/writes.ts                       (40 runs, seed 1)
 *   npx tsx bench/chaos/writes.ts --runs 80 --seed 7
 */
import { readFileSync } from "node:fs";
import { isTerminalStatus, RedisKeys, type RunRecord, type SignedDecision } from "@pyfleet/core";
import { type ApprovalRecord, type ApprovalStore, type AuditLog, RunReconciler } from "@pyfleet/fleet";
import { testApprovalStore, testDecisionKeys } from "@pyfleet/fleet/testing";
import { seededRandom } from "@pyfleet/testing";
import { type BenchFleet, waitAllTerminal } from "../e2e/harness.js";
import { loadAverage } from "../e2e/stats.js";
import { argInt, readExecutions, report, runMain, sleep, spawnInto, takeRandom, topUp, type WorkerPool, withChaosBench, workerPool } from "./kit.js";

const RUNS = argInt("--runs", 40);
const SEED = argInt("--seed", 1);
const KEYS = testDecisionKeys();
const rng = seededRandom(SEED);

const code = (i: number, log: string) =>
  [
    "import os, time",
    "import epics",
    `with open(${JSON.stringify(log)}, "a") as f:`,
    `    f.write("${i} " + str(os.getppid()) + "\\n")`,
    `epics.caput("CHAOS:W${i}", ${i})`,
    `time.sleep(${(0.2 + (i % 4) * 0.2).toFixed(1)})`,
    `results = {"i": ${i}}`,
  ].join("\n");

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

/** SIGKILLs the executor of the write logged last (if it is still ours) or, otherwise, a random one. */
async function chaosStep(bench: BenchFleet, chaos: Chaos, log: string, pending: Promise<void>[]): Promise<void> {
  const lines = readFileSync(log, "utf8").trim().split("\n");
  const busyPid = Number(lines.at(-1)?.split(" ")[1]);
  const busyIndex = chaos.writers.workers.findIndex((w) => w.pid === busyPid && !chaos.killed.has(w.pid));
  const victim = rng() < 0.5 && busyIndex >= 0 ? chaos.writers.workers.splice(busyIndex, 1)[0] : takeRandom(chaos.writers, rng);
  if (!victim) return;
  if (victim.pid === busyPid) chaos.midWrite++;
  else chaos.random++;
  chaos.killed.add(victim.pid);
  victim.child.kill("SIGKILL");
  pending.push(sleep(300 + rng() * 1700).then(() => spawnInto(bench, chaos.writers)));
}

async function main(bench: BenchFleet, log: string): Promise<number> {
  const { store, audit } = testApprovalStore(bench.fleet, KEYS.PYFLEET_SIGNING_KEYS);
  const analyzers = workerPool(["--stage", "analyze"], 1);
  // The write manifest's dry run (preview) runs on a read-only executor before a write run parks.
  const readers = workerPool(["--stage", "execute", "--mode", "read_only"], 1);
  const chaos: Chaos = { writers: workerPool(["--stage", "execute", "--mode", "write_access"], 2), killed: new Set(), midWrite: 0, random: 0 };
  const approver = autoApprover(bench, store);
  try {
    process.stdout.write(`write chaos: ${RUNS} approved write runs, seed ${SEED}, prefix ${bench.fx.prefix}\n`);
    await topUp(bench, [analyzers, readers, chaos.writers]);
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      ids.push((await bench.client.submit({ user_query: "chaos", task_objective: `write chaos run ${i}`, code: code(i, log), dry_run: true })).runId);
    }
    const t0 = Date.now();
    const pending: Promise<void>[] = [];
    // Chaos until every run is terminal (or 5 minutes): writes run one at a time across the fleet.
    for (let open = ids.length; open > 0 && Date.now() - t0 < 300_000; ) {
      await sleep(1000 + rng() * 2500);
      await chaosStep(bench, chaos, log, pending);
      open = (await Promise.all(ids.map((id) => bench.fleet.get(id)))).filter((r) => !r || !isTerminalStatus(r.status)).length;
      process.stdout.write(`  ${((Date.now() - t0) / 1000).toFixed(0)} s: ${ids.length - open}/${ids.length} runs ended\n`);
    }
    await Promise.all(pending);
    await topUp(bench, [analyzers, readers, chaos.writers]);
    const done = await waitAllTerminal(bench.fleet, ids, 120_000);
    return await verdict(bench, ids, done, log, chaos, audit, Date.now() - t0, approver);
  } finally {
    await approver.stop();
  }
}

async function verdict(
  bench: BenchFleet,
  ids: string[],
  done: Map<string, RunRecord>,
  log: string,
  chaos: Chaos,
  audit: AuditLog,
  elapsedMs: number,
  approver: { approved: () => number; errors: string[] },
): Promise<number> {
  const violations: string[] = [];
  const executions = readExecutions(log);
  const byStatus = new Map<string, number>();
  const unknown: Array<{ id: string; ran: boolean }> = [];
  for (const [i, id] of ids.entries()) {
    const rec = done.get(id) ?? (await bench.fleet.get(id));
    const status = rec?.status ?? "missing";
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    const pids = executions.get(i) ?? [];
    if (pids.length > 1) violations.push(`WRITE RAN ${pids.length} TIMES: run ${i} (${id}) on pids ${pids.join(", ")}`);
    if (!rec || !isTerminalStatus(rec.status)) violations.push(`run ${i} (${id}) is not terminal: ${status}`);
    else if (rec.status === "completed") {
      if (pids.length !== 1) violations.push(`run ${i} (${id}) completed with ${pids.length} executions`);
      const got = (await bench.fleet.details(id))?.final?.result?.results.i;
      if (got !== i) violations.push(`run ${i} (${id}) completed with results.i = ${JSON.stringify(got)}`);
    } else if (rec.status === "outcome_unknown") {
      unknown.push({ id, ran: pids.length > 0 });
    } else {
      process.stdout.write(`  run ${i} ${rec.status}: ${rec.error?.code ?? "?"} ${rec.error?.message?.slice(0, 160) ?? ""}\n`);
    }
  }
  const reconciler = new RunReconciler(bench.fx.redis, new RedisKeys(bench.fx.prefix));
  for (const u of unknown) {
    const outcome = u.ran ? "succeeded" : "failed";
    const { status } = await reconciler.reconcile(u.id, { outcome, note: `chaos bench: execution log shows ${u.ran ? "one" : "no"} execution` }, "chaos-admin");
    if (status !== (u.ran ? "completed" : "failed")) violations.push(`reconciling ${u.id} as ${outcome} left it ${status}`);
  }
  const chain = await audit.verify();
  const requeued = (await audit.range("-", 100_000)).filter((e) => e.type === "write.requeued").length;
  if (!chain.ok) violations.push(`audit chain broken at ${chain.brokenAt}: ${chain.reason}`);
  const counts = [...executions.values()].map((p) => p.length);
  return report(
    [
      ["write runs", `${ids.length}, approved ${approver.approved()}, all ended within ${(elapsedMs / 1000).toFixed(1)} s`],
      ["approver errors", approver.errors.length === 0 ? "none" : `${approver.errors.length} (retried), first: ${approver.errors[0]}`],
      ["terminal statuses", [...byStatus].map(([s, n]) => `${s} ${n}`).join(", ")],
      ["executions logged", `${counts.reduce((a, b) => a + b, 0)} (runs executed once ${counts.filter((n) => n === 1).length}, more than once ${counts.filter((n) => n > 1).length})`],
      [
        "outcome_unknown",
        `${unknown.length} (code had started ${unknown.filter((u) => u.ran).length}, killed before the first line ${unknown.filter((u) => !u.ran).length}); all reconciled`,
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
runMain("write chaos", () => withChaosBench("chaos-writes", { PYFLEET_VERIFY_KEYS: KEYS.PYFLEET_VERIFY_KEYS }, main));
