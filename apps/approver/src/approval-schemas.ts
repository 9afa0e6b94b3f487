import { APPROVAL_STATUSES, ApprovalRequestSchema, SignedDecisionSchema, WriteManifestSchema } from "@pyfleet/core";
import { z } from "zod";

/** One human's vote (`ApprovalVote`). */
const VoteSchema = z.strictObject({
  identity: z.string(),
  decision: SignedDecisionSchema.shape.decision,
  reason: z.string(),
  feedback: z.string().optional(),
  regenerate: z.boolean().optional(),
  at: z.string(),
});

/**
 * One approval with its code, findings, manifest and votes; the signed decision reduced to who
 * and when. The fields a record copies from the run's request are core's `ApprovalRequestSchema`
 * fields, so the two cannot drift. Strict, so a field added to the record's response without its
 * schema fails the response (500) in the tests instead of going undocumented.
 */
export const ApprovalDetailSchema = ApprovalRequestSchema.pick({
  runId: true,
  threadId: true,
  attempt: true,
  codeHash: true,
  code: true,
  executionMode: true,
  kernelName: true,
  task: true,
  userQuery: true,
  reasoning: true,
  findings: true,
  pvWrites: true,
  notebookPath: true,
  notebookLink: true,
  requester: true,
})
  .extend({
    id: z.string(),
    checkpointNs: z.string(),
    /** Always present on a record (null for read-only approvals); optional only in the request. */
    manifest: WriteManifestSchema.nullable(),
    createdAt: z.string(),
    expiresAt: z.string(),
    requiredApprovals: z.number().int(),
    votes: z.array(VoteSchema),
    status: z.enum(APPROVAL_STATUSES),
    decidedAt: z.string().nullable(),
    resumedAt: z.string().nullable(),
    version: z.number().int(),
    decision: SignedDecisionSchema.pick({ decision: true, approvers: true, keyId: true, signedAt: true }).strict().nullable(),
  })
  .strict();

/** An approval in lists and events (`approvalSummary`): the detail's fields without the code, plus the vote count. */
export const ApprovalSummarySchema = ApprovalDetailSchema.pick({
  id: true,
  runId: true,
  attempt: true,
  status: true,
  executionMode: true,
  task: true,
  codeHash: true,
  pvWrites: true,
  manifest: true,
  requester: true,
  createdAt: true,
  expiresAt: true,
  requiredApprovals: true,
})
  .extend({
    /** Distinct approve votes so far. */
    approvals: z.number().int(),
  })
  .strict();

/** `POST /v1/runs/:id/reconcile`: the run's status after it. */
export const ReconcileResultSchema = z.strictObject({ runId: z.string(), status: z.string() });
