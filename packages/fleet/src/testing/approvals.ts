import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { generateDecisionKeyPair, parseSigningKeys, type SignedDecision } from "@pyfleet/core";
import type { ApprovalRecord } from "../approvals/approval-record.js";
import { ApprovalStore } from "../approvals/approval-store.js";
import { DecisionSigner } from "../approvals/decision-signer.js";
import { AuditLog } from "../audit/audit-log.js";
import type { Fleet } from "../fleet.js";
import { waitForStatus } from "./wait-for.js";

/**
 * A fresh Ed25519 key pair as the environment of a test fleet: `PYFLEET_SIGNING_KEYS` (what the
 * approver holds) and `PYFLEET_VERIFY_KEYS` (what executors hold), key id `k1`.
 */
export function testDecisionKeys(keyId = "k1"): { PYFLEET_SIGNING_KEYS: string; PYFLEET_VERIFY_KEYS: string } {
  const pair = generateDecisionKeyPair(keyId);
  return { PYFLEET_SIGNING_KEYS: pair.signing, PYFLEET_VERIFY_KEYS: pair.verify };
}

/**
 * The approval store an approver would use on `fleet`'s Redis, signing with the first key of
 * `signingKeys` (`PYFLEET_SIGNING_KEYS` form), one approval per mode, 10 minutes to decide.
 */
export function testApprovalStore(fleet: Fleet, signingKeys: string): { store: ApprovalStore; audit: AuditLog } {
  const keys = parseSigningKeys(signingKeys);
  const audit = new AuditLog(fleet.ctx.redis, fleet.ctx.keys);
  const store = new ApprovalStore(fleet.ctx.redis, fleet.ctx.keys, new DecisionSigner(keys, [...keys.keys()][0] ?? "k1"), audit, {
    expirySeconds: 600,
    requiredApprovals: { read_only: 1, write_access: 1 },
    allowSelfApproval: false,
    retentionSeconds: 600,
  });
  return { store, audit };
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
