import { z } from "zod";
import { FindingSchema, PvAccessSchema } from "./analysis.js";
import { EXECUTION_MODES } from "./request.js";
import { WriteManifestSchema } from "./write-manifest.js";

/** The payload `approve` hands to `interrupt()` (JSON only, unlike the original). */
export const ApprovalRequestSchema = z.object({
  approval_type: z.literal("python_executor"),
  runId: z.string(),
  threadId: z.string(),
  attempt: z.number().int(),
  codeHash: z.string().regex(/^[0-9a-f]{64}$/),
  code: z.string(),
  executionMode: z.enum(EXECUTION_MODES),
  kernelName: z.string(),
  task: z.string(),
  userQuery: z.string(),
  reasoning: z.string(),
  findings: z.array(FindingSchema),
  pvWrites: z.array(PvAccessSchema),
  notebookPath: z.string().nullable(),
  notebookLink: z.string().nullable(),
  requester: z.string(),
  expectedResults: z.record(z.string(), z.unknown()),
  user_message: z.string(),
  /** What a write run will change, from its dry run (null/absent for read-only approvals). */
  manifest: WriteManifestSchema.nullable().optional(),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired", "cancelled"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** A decision as sent to the approver API (HTTP body). */
export const DecisionBodySchema = z
  .object({
    decision: z.enum(["approve", "reject"]),
    codeHash: z.string().regex(/^[0-9a-f]{64}$/, "codeHash must be the 64-hex sha256 of the code shown"),
    reason: z.string().min(1, "reason must say why").max(4000),
    feedback: z.string().max(20000).optional(),
    regenerate: z.boolean().optional(),
  })
  .strict();
export type DecisionBody = z.infer<typeof DecisionBodySchema>;

/**
 * A signed decision: the value the approver passes to `Command({ resume })` and the
 * write executor verifies before running (Ed25519 over the canonical fields, base64url signature).
 */
export const SignedDecisionSchema = z.object({
  approvalId: z.string(),
  runId: z.string(),
  attempt: z.number().int(),
  codeHash: z.string(),
  mode: z.enum(EXECUTION_MODES),
  decision: z.enum(["approve", "reject"]),
  approvers: z.array(z.string()),
  reason: z.string(),
  feedback: z.string().optional(),
  regenerate: z.boolean().optional(),
  /** The approved write manifest's PV set (sorted): the only PVs the run may write. */
  writePvs: z.array(z.string()).optional(),
  /** sha256 of the approved write manifest (PVs, values, limits); null without a manifest. */
  manifestHash: z.string().nullable().optional(),
  expiresAt: z.string(),
  signedAt: z.string(),
  keyId: z.string(),
  signature: z.string(),
});
export type SignedDecision = z.infer<typeof SignedDecisionSchema>;

/** One human's vote on an approval, as the approver shows it. */
export const ApprovalVoteSchema = z.strictObject({
  identity: z.string(),
  decision: SignedDecisionSchema.shape.decision,
  reason: z.string(),
  feedback: z.string().optional(),
  regenerate: z.boolean().optional(),
  at: z.string(),
});

/**
 * One approval as the approver returns it (`GET /v1/approvals/:id`): its code, findings, manifest
 * and votes; the signed decision reduced to who and when. The fields a record copies from the
 * run's request are {@link ApprovalRequestSchema}'s, so the two cannot drift. Strict, so a field
 * the approver adds without its schema fails the response (500) in the tests instead of going
 * undocumented.
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
    votes: z.array(ApprovalVoteSchema),
    status: z.enum(APPROVAL_STATUSES),
    decidedAt: z.string().nullable(),
    resumedAt: z.string().nullable(),
    version: z.number().int(),
    decision: SignedDecisionSchema.pick({ decision: true, approvers: true, keyId: true, signedAt: true }).strict().nullable(),
  })
  .strict();
export type ApprovalDetail = z.output<typeof ApprovalDetailSchema>;

/** An approval in lists and events (`GET /v1/approvals`, the approvals stream): the detail without the code, plus the vote count. */
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
export type ApprovalSummary = z.output<typeof ApprovalSummarySchema>;
