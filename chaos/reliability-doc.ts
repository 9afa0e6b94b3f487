/**
 * Writes docs/reliability.md from the fault suite's recorded outcomes (chaos/.results/*.json,
 * written by `npm run test:chaos`): one table row per scenario with its expectation, the outcome
 * measured in the last run and the test that measured it, then what operators must configure.
 *
 *   npm run test:chaos && npm run docs:reliability
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readOutcomes, type ScenarioOutcome } from "./lib/outcomes.js";

const GROUPS = ["crash", "infrastructure", "load", "bad input"];
/** Every scenario the suite has, so a row missing from the last run is said, not hidden. */
const EXPECTED: Record<string, string> = {
  "crash-producer": "producer SIGKILLed right after accepting",
  "crash-approver": "approver SIGKILLed between decision and resume",
  "crash-generate": "generate worker SIGKILLed mid-step",
  "crash-read-only": "read-only executors and analyze workers SIGKILLed (bench/chaos/run.ts)",
  "crash-write": "write executor SIGKILLed before/after its put (counted at the IOC)",
  "infra-redis-restart": "Redis SIGKILLed and restarted mid-run",
  "infra-redis-restart-full": "Redis SIGKILLed and restarted mid-run, the issue's 500 runs (by hand: PYFLEET_CHAOS_REDIS_RUNS=500)",
  "infra-redis-down": "Redis down for 30 s",
  "infra-jupyter": "Jupyter server SIGKILLed and restarted",
  "infra-docker": "Docker engine stopped",
  "infra-disk-full": "artifacts disk full",
  load: "load",
  "load-full": "load, the issue's 2,000 runs (by hand: PYFLEET_CHAOS_LOAD_RUNS=2000)",
  "input-http": "producer and approver API fuzzing",
  "input-jobs": "malformed BullMQ job payloads",
  "input-corrupt": "corrupted run records and checkpoints",
};
const OUT = fileURLToPath(new URL("../docs/reliability.md", import.meta.url));

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");

function table(rows: ScenarioOutcome[]): string {
  const head = "| Scenario | Expectation | Measured outcome | Result | Test |\n|---|---|---|---|---|";
  return [
    head,
    ...rows.map(
      (o) =>
        `| ${cell(o.scenario)}${o.scale ? ` _(scale: ${cell(o.scale)})_` : ""} | ${cell(o.expectation)} | ${cell(o.outcome)} (${o.seconds} s, ${o.at?.slice(0, 16).replace("T", " ") ?? ""} UTC) | ${o.passed ? "pass" : "**FAIL**"} | \`${cell(o.test)}\` |`,
    ),
  ].join("\n");
}

const OPERATORS = `## What an operator must configure for these guarantees

- **Redis persistence: AOF.** \`appendonly yes\`. The suite runs \`appendfsync always\` (no
  acknowledged write lost on SIGKILL). Compose ships \`everysec\`: a host crash can then lose up
  to one second of writes — a run accepted in that second, or an execution marker taken in that
  second, so a write redelivered after the crash could run again. Use \`always\` for the Redis of
  a fleet that writes to hardware.
- **\`maxmemory-policy noeviction\`.** BullMQ and the checkpoints must never be evicted; with any
  other policy Redis silently drops jobs and runs are lost. Size \`maxmemory\` for
  \`runs.retention_seconds\` worth of run records, events and checkpoints.
- **Replicas, Sentinel or Cluster.** A single Redis is a single point of failure: the fleet
  degrades (producer and approver answer 503 \`REDIS_UNAVAILABLE\` with \`Retry-After\`, workers
  wait and reconnect) but does nothing until it returns. For availability run replicas with
  Sentinel, or Redis Cluster with a hash-tagged prefix (\`redis.prefix: "{pyfleet}"\`).
  Replication is asynchronous: a failover can lose the last acknowledged writes, execution
  markers included; set \`min-replicas-to-write 1\` and treat runs around a failover as
  \`outcome_unknown\` candidates. The suite does not test failover.
- **Redis ACL users per role.** \`deploy/redis/redis-acl.ts\` writes the ACL file (users
  \`producer\`, \`worker\`, \`executor-write\`, \`approver\`, default user off); each service connects
  as its role (\`REDIS_URL=redis://<role>:<password>@redis:6379\`, as in docker-compose.yml and
  the Kubernetes manifests, where Redis reads the file from the Secret \`pyfleet-redis-acl\` and
  each Deployment its URL from \`pyfleet-redis-<role>\`; deploy/README.md). The
  producer cannot write approvals, the audit stream or execution markers; only the write executor
  takes execution markers; nobody can \`FLUSHALL\` or touch keys outside the prefix
  (\`packages/fleet/src/acl/redis-acl.int.test.ts\`).
- **Decision keys.** The approver alone holds the Ed25519 private key (\`PYFLEET_SIGNING_KEYS\`);
  executors hold only public keys (\`PYFLEET_VERIFY_KEYS\`). Rotate by adding the new public key to
  the executors first, then switching the approver (\`PYFLEET_SIGNING_KEY_ID\`), then removing the
  old public key after \`approver.expiry_seconds\`. HMAC decisions of older versions are refused.
- **Stall detection.** \`queues.lock_seconds\` and \`queues.stalled_check_seconds\` bound how long
  a SIGKILLed worker's job waits before another worker takes it (the suite uses 6 s / 3 s; the
  defaults are 30 s / 30 s). Lower is faster recovery but more false stalls on an overloaded host.
- **One producer dies mid-submit.** A run stored but not yet queued is dispatched again (or failed
  with a sentence if its graph never started) by any producer after
  \`producer.recover_after_seconds\` (default 60 s): run at least one producer.
- **Clients retry on 503 and on a lost connection.** A 503 stored nothing. A submission whose
  answer was lost may have been stored: resubmit with the same \`thread_id\` to get
  \`THREAD_HAS_RUN\` instead of a second run. A decision whose answer was lost is safe to send
  again: a vote counts once (\`409 APPROVAL_ALREADY_DECIDED\` when it was already recorded).
`;

function main(): void {
  const outcomes = readOutcomes();
  if (outcomes.length === 0) {
    process.stderr.write("no recorded outcomes in chaos/.results: run npm run test:chaos first\n");
    process.exit(1);
  }
  const when = outcomes.map((o) => o.at ?? "").sort().at(-1) ?? "";
  const sections = GROUPS.map((g) => {
    const rows = outcomes.filter((o) => o.group === g).sort((a, b) => a.id.localeCompare(b.id));
    return rows.length ? `### ${g[0]?.toUpperCase()}${g.slice(1)}\n\n${table(rows)}\n` : "";
  }).filter(Boolean);
  const doc = `# Reliability: faults, load and bad input

Generated by \`npm run docs:reliability\` from the outcomes \`npm run test:chaos\` recorded
(last run ${when}). Every row is a scenario of the fault suite (\`chaos/\`): real processes
(producer, approver, workers, redis-server, Python) killed, restarted and flooded; the outcome
column is what that run measured. Scales that differ from the issue's numbers are noted per row.

${sections.join("\n")}
${(() => {
    const missing = Object.entries(EXPECTED).filter(([id]) => !outcomes.some((o) => o.id === id));
    return missing.length ? `Scenarios of the suite with no recorded outcome in this document (not measured in the runs it was generated from): ${missing.map(([, n]) => n).join("; ")}.\n\n` : "";
  })()}Every scenario runs in CI (\`scripts/test.sh\`, after the other suites; about 10 minutes on a
quiet 2-core machine). Rows with a scale note run fewer runs than the issue asks, to keep CI within
its budget: the Redis restart runs 150 of the issue's 500 runs, the load 200 of its 2,000. The
issue's full counts are rows of their own, measured by hand (CI does not run them):

    PYFLEET_CHAOS_REDIS_RUNS=500 npx vitest run --config chaos/vitest.config.ts chaos/redis.chaos.test.ts -t "restarted"
    PYFLEET_CHAOS_LOAD_RUNS=2000 npx vitest run --config chaos/vitest.config.ts chaos/load.chaos.test.ts

Write executions are counted at the simulated IOC's put counters (\`crash-write\`); the Redis
restart and load rows count executions from the file each run's code leaves in its run folder.
Not covered by the suite: Redis failover (replicas, Sentinel, Cluster) and a host crash (the
suite's Redis fsyncs every write).

${OPERATORS}`;
  writeFileSync(OUT, doc);
  process.stdout.write(`wrote ${OUT} (${outcomes.length} scenarios)\n`);
}

main();
