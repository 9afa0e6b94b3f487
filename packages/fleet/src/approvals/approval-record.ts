import type {
  ApprovalRequest,
  ApprovalSummary,
  Role,
  ApprovalStatus,
  ExecutionMode,
  SignedDecision,
  WriteManifest,
} from "@pyfleet/core";

/** One human's vote on an approval. */
export interface ApprovalVote {
  identity: string;
  decision: "approve" | "reject";
  reason: string;
  feedback?: string;
  regenerate?: boolean;
  at: string;
}

/**
 * An approval record (`<prefix>:approval:<id>`): the request bound to the exact code
 * (sha256), the votes so far and, once decided, the signed decision.
 */
export interface ApprovalRecord {
  id: string;
  runId: string;
  threadId: string;
  checkpointNs: string;
  attempt: number;
  codeHash: string;
  code: string;
  executionMode: ExecutionMode;
  kernelName: string;
  task: string;
  userQuery: string;
  reasoning: string;
  findings: ApprovalRequest["findings"];
  pvWrites: ApprovalRequest["pvWrites"];
  /** Write runs: the dry run's manifest (current → proposed per PV); its PV set and hash are signed. */
  manifest: WriteManifest | null;
  notebookPath: string | null;
  notebookLink: string | null;
  requester: string;
  createdAt: string;
  expiresAt: string;
  requiredApprovals: number;
  votes: ApprovalVote[];
  status: ApprovalStatus;
  decidedAt: string | null;
  /** Set when approved or rejected: the value the run is resumed with. */
  signedDecision: SignedDecision | null;
  /** Set once the run was resumed with the decision (crash recovery re-resumes when null). */
  resumedAt: string | null;
  /** Optimistic-concurrency version, bumped on every write. */
  version: number;
}

/** Who is calling the approver. */
export interface ApproverIdentity {
  id: string;
  roles: readonly Role[];
}

/** Summary for lists and events (no code): core's `ApprovalSummary`, the approver's response schema. */
export function approvalSummary(r: ApprovalRecord): ApprovalSummary {
  return {
    id: r.id,
    runId: r.runId,
    attempt: r.attempt,
    status: r.status,
    executionMode: r.executionMode,
    task: r.task,
    codeHash: r.codeHash,
    pvWrites: r.pvWrites,
    manifest: r.manifest ?? null,
    requester: r.requester,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    requiredApprovals: r.requiredApprovals,
    approvals: r.votes.filter((v) => v.decision === "approve").length,
  };
}
