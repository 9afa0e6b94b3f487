/**
 * The shapes the console reads from the producer and approver APIs. Records and contracts come
 * from @pyfleet/core (type-only imports, nothing of it is bundled); the views the two services
 * build on top of them are described here.
 */
import type {
  Attempt,
  ErrorChainEntry,
  ExecutionOutcome,
  ExecutionResult,
  Finding,
  PvAccess,
  PythonExecutionRequest,
  RunEvent,
  RunRecord,
  RunStatus,
} from "@pyfleet/core";

export type { ErrorChainEntry, Finding, PvAccess, RunEvent, RunRecord, RunStatus };

export interface ArtifactRef {
  path: string;
  url: string;
}

export type PublicAttempt = Omit<Attempt, "notebookPath" | "outcome"> & {
  notebook: ArtifactRef | null;
  outcome: (Omit<ExecutionOutcome, "figures"> & { figures: Array<{ name: string; mime: string; url: string | null }> }) | null;
};

export type PublicResult = Omit<ExecutionResult, "folder_path" | "notebook_path" | "figure_paths"> & {
  notebook_path: string | null;
  notebook_url: string | null;
  figure_paths: string[];
  figure_urls: string[];
};

/** `GET /v1/runs/:id` of the producer. */
export type RunView = Omit<RunRecord, "resultSummary"> & {
  attemptList: PublicAttempt[];
  errorChain: ErrorChainEntry[];
  request: (Omit<PythonExecutionRequest, "capability_context_data"> & { contextBytes: number }) | null;
  final: { status: RunStatus; result: PublicResult | null; code: string | null; attempts: number; reason: string | null } | null;
  resultSummary: { resultKeys: string[]; figureCount: number; notebookLink: string | null; notebook: ArtifactRef | null } | null;
  notebookUrl: string | null;
};

export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired" | "cancelled";

/** An approval in a list (`approvalSummary`). */
export interface ApprovalSummary {
  id: string;
  runId: string;
  attempt: number;
  status: ApprovalStatus;
  executionMode: "read_only" | "write_access";
  task: string;
  codeHash: string;
  pvWrites: PvAccess[];
  requester: string;
  createdAt: string;
  expiresAt: string;
  requiredApprovals: number;
  approvals: number;
}

export interface Vote {
  identity: string;
  decision: "approve" | "reject";
  reason: string;
  feedback?: string;
  at: string;
}

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

/** `GET /v1/approvals/:id` of the approver. */
export interface ApprovalDetail {
  id: string;
  runId: string;
  attempt: number;
  codeHash: string;
  code: string;
  executionMode: "read_only" | "write_access";
  kernelName: string;
  task: string;
  userQuery: string;
  reasoning: string;
  findings: Finding[];
  pvWrites: PvAccess[];
  notebookLink: string | null;
  requester: string;
  createdAt: string;
  expiresAt: string;
  requiredApprovals: number;
  votes: Vote[];
  status: ApprovalStatus;
  decidedAt: string | null;
  decision: { decision: "approve" | "reject"; approvers: string[]; keyId: string; signedAt: string } | null;
  /** The write manifest, once the approval carries one (see manifest.ts for the shapes read). */
  manifest?: unknown;
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
