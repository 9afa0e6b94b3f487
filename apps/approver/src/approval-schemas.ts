import { APPROVAL_STATUSES, ApprovalRequestSchema, EXECUTION_MODES, WriteManifestSchema } from "@pyfleet/core";
import { z } from "zod";

const Decision = z.enum(["approve", "reject"]);
/** One human's vote (`ApprovalVote`). */
const VoteSchema = z.strictObject({
  identity: z.string(),
  decision: Decision,
  reason: z.string(),
  feedback: z.string().optional(),
  regenerate: z.boolean().optional(),
  at: z.string(),
});

/**
 * An approval in lists and events (`approvalSummary`): no code. Strict, so a field added to the
 * summary without its schema fails the response (500) in the tests instead of going undocumented.
 */
export const ApprovalSummarySchema = z.strictObject({
  id: z.string(),
  runId: z.string(),
  attempt: z.number().int(),
  status: z.enum(APPROVAL_STATUSES),
  executionMode: z.enum(EXECUTION_MODES),
  task: z.string(),
  codeHash: z.string(),
  pvWrites: ApprovalRequestSchema.shape.pvWrites,
  manifest: WriteManifestSchema.nullable(),
  requester: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  requiredApprovals: z.number().int(),
  /** Distinct approve votes so far. */
  approvals: z.number().int(),
});

/** One approval with its code, findings, manifest and votes; the signed decision reduced to who and when. */
export const ApprovalDetailSchema = z.strictObject({
  id: z.string(),
  runId: z.string(),
  threadId: z.string(),
  checkpointNs: z.string(),
  attempt: z.number().int(),
  codeHash: z.string(),
  code: z.string(),
  executionMode: z.enum(EXECUTION_MODES),
  kernelName: z.string(),
  task: z.string(),
  userQuery: z.string(),
  reasoning: z.string(),
  findings: ApprovalRequestSchema.shape.findings,
  pvWrites: ApprovalRequestSchema.shape.pvWrites,
  manifest: WriteManifestSchema.nullable(),
  notebookPath: z.string().nullable(),
  notebookLink: z.string().nullable(),
  requester: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  requiredApprovals: z.number().int(),
  votes: z.array(VoteSchema),
  status: z.enum(APPROVAL_STATUSES),
  decidedAt: z.string().nullable(),
  resumedAt: z.string().nullable(),
  version: z.number().int(),
  decision: z.strictObject({ decision: Decision, approvers: z.array(z.string()), keyId: z.string(), signedAt: z.string() }).nullable(),
});

/** `POST /v1/runs/:id/reconcile`: the run's status after it. */
export const ReconcileResultSchema = z.strictObject({ runId: z.string(), status: z.string() });
