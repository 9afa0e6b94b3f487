import type { Clock, PyfleetConfig, RedisKeys } from "@pyfleet/core";
import { ApprovalStore, type AuditLog, type DecisionSigner } from "@pyfleet/fleet";
import type { Redis } from "ioredis";

/** What {@link createApprovalStore} reads of the config (a slice of `PyfleetConfig`). */
export interface ApprovalStoreConfig {
  approver: Pick<PyfleetConfig["approver"], "expiry_seconds" | "required_approvals" | "allow_self_approval">;
  runs: Pick<PyfleetConfig["runs"], "retention_seconds">;
}

export interface ApprovalStoreParts {
  redis: Redis;
  keys: RedisKeys;
  /** The process's one audit log. */
  audit: AuditLog;
  clock: Clock;
  /** The approver's signer; null in every other process (they create and cancel records, never decide). */
  signer: DecisionSigner | null;
}

/**
 * The one way an {@link ApprovalStore} is built (workers that park runs, producers that cancel
 * them, the approver that decides): options from `approver.*` and `runs.retention_seconds`.
 */
export function createApprovalStore(config: ApprovalStoreConfig, parts: ApprovalStoreParts): ApprovalStore {
  return new ApprovalStore(
    parts.redis,
    parts.keys,
    parts.signer,
    parts.audit,
    {
      expirySeconds: config.approver.expiry_seconds,
      requiredApprovals: config.approver.required_approvals,
      allowSelfApproval: config.approver.allow_self_approval,
      retentionSeconds: config.runs.retention_seconds,
    },
    parts.clock,
  );
}
