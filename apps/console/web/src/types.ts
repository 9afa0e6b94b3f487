/**
 * The shapes the console reads from the producer and approver APIs. Records and contracts come
 * from @pyfleet/core (type-only imports, nothing of it is bundled); the views the two services
 * build on top of them are described here.
 */
import type {
  ApprovalDetail,
  ApprovalSummary,
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

/** The approver's replies (`GET /v1/approvals`, `GET /v1/approvals/:id`): core's schemas, which the approver validates them with. */
export type { ApprovalDetail, ApprovalSummary, ErrorChainEntry, Finding, PvAccess, RunEvent, RunRecord, RunStatus };

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
