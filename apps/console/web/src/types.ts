/**
 * The shapes the console reads from the producer and approver APIs. Records and contracts come
 * from @pyfleet/core (type-only imports, nothing of it is bundled); the views the two services
 * build on top of them are described here.
 */
import type {
  ApprovalDetail,
  ApprovalSummary,
  Finding,
  PublicAttempt,
  PublicRun,
  PvAccess,
  RunEvent,
  RunRecord,
} from "@pyfleet/core";

/** The approver's replies (`GET /v1/approvals`, `GET /v1/approvals/:id`): core's schemas, which the approver validates them with. */
export type { ApprovalDetail, ApprovalSummary, Finding, PvAccess, RunEvent, RunRecord };

/** The producer's run view (`GET /v1/runs/:id`) and its parts: core's PublicRunSchema, which the producer documents in /openapi.json. */
export type { PublicAttempt };
export type RunView = PublicRun;

/** One row of a write manifest: what the code would write, checked against the PV's limits. */
export interface ManifestRow {
  pv: string;
  current: unknown;
  proposed: unknown;
  units: string | null;
  low: number | null;
  high: number | null;
  outOfLimits: boolean;
}

export interface AuditEntry {
  id: string;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

export interface Me {
  identity: string;
  roles: string[];
}
