import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { generateDecisionKeyPair, parseSigningKeys, RedisKeys, type SignedDecision, systemClock } from "@pyfleet/core";
import { type ApprovalRecord, type ApprovalStore, AuditLog, DecisionSigner, type Fleet } from "@pyfleet/fleet";
import type { Redis } from "ioredis";
import { type ApprovalStoreConfig, createApprovalStore } from "../approval-store-factory.js";
import { waitForStatus } from "./wait-for.js";

/**
 * A fresh Ed25519 key pair as the environment of a test fleet: `PYFLEET_SIGNING_KEYS` (what the
 * approver holds) and `PYFLEET_VERIFY_KEYS` (what executors hold), key id `k1`.
 */
export function testDecisionKeys(keyId = "k1"): { PYFLEET_SIGNING_KEYS: string; PYFLEET_VERIFY_KEYS: string } {
  const pair = generateDecisionKeyPair(keyId);
  return { PYFLEET_SIGNING_KEYS: pair.signing, PYFLEET_VERIFY_KEYS: pair.verify };
}

/** What a test's approval store differs in from the default one (see {@link testApprovalStore}). */
export interface TestApprovalStoreOptions {
  /** Seconds an approval waits for a decision (default 600). */
  expirySeconds?: number;
  /** Approvals a write needs (default 1). */
  writeApprovals?: number;
  /** Seconds decided records are kept (default 600). */
  retentionSeconds?: number;
}

/**
 * The approval store an approver would use on `redis` under `prefix` (built by the one factory),
 * signing with the first key of `signingKeys` (`PYFLEET_SIGNING_KEYS` form; default a fresh pair),
 * one approval per mode, 10 minutes to decide, unless `opts` says otherwise.
 */
export function testApprovalStore(
  redis: Redis,
  prefix: string,
  signingKeys = testDecisionKeys().PYFLEET_SIGNING_KEYS,
  opts: TestApprovalStoreOptions = {},
): { store: ApprovalStore; audit: AuditLog } {
  const keys = new RedisKeys(prefix);
  const signing = parseSigningKeys(signingKeys);
  const audit = new AuditLog(redis, keys);
  const config: ApprovalStoreConfig = {
    approver: {
      expiry_seconds: opts.expirySeconds ?? 600,
      required_approvals: { read_only: 1, write_access: opts.writeApprovals ?? 1 },
      allow_self_approval: false,
    },
    runs: { retention_seconds: opts.retentionSeconds ?? 600 },
  };
  const signer = new DecisionSigner(signing, [...signing.keys()][0] ?? "k1");
  return { store: createApprovalStore(config, { redis, keys, audit, clock: systemClock, signer }), audit };
}

/**
 * Waits until `runId` is parked for approval, approves it as `approver` quoting its code hash and
 * resumes the run, as the approver service does. Returns the approval and the signed decision.
 */
export async function approveParked(
  fleet: Fleet,
  store: ApprovalStore,
  runId: string,
  approver = "alice",
): Promise<{ approval: ApprovalRecord; decision: SignedDecision }> {
  const parked = await waitForStatus((id) => fleet.get(id), runId, "awaiting_approval");
  const approval = await store.get(parked.approvalId as string);
  if (!approval) throw new Error(`run ${runId} is parked without an approval record`);
  const { released } = await store.decide(approval.id, { id: approver, roles: ["approver"] }, { decision: "approve", codeHash: approval.codeHash, reason: "ok" });
  if (!released) throw new Error(`approving ${approval.id} as ${approver} did not release the run`);
  await fleet.resumeRun(runId, released);
  return { approval, decision: released };
}

/** Every file named `name` below `root`, depth first. */
export function findFiles(root: string, name: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, entry.name);
    if (entry.isDirectory()) found.push(...findFiles(p, name));
    else if (entry.name === name) found.push(p);
  }
  return found;
}

/**
 * Lines of every `executions.log` below `root`: how often code that logs its start ran, not
 * counting the write manifest's dry runs (they run in an attempt's `dry-run` folder, read-only,
 * with writes recorded, never performed).
 */
export function countExecutionLogs(root: string): number {
  return findFiles(root, "executions.log")
    .filter((f) => !f.split(sep).includes("dry-run"))
    .reduce((n, f) => n + readFileSync(f, "utf8").split("\n").filter(Boolean).length, 0);
}
