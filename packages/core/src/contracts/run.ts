import { z } from "zod";
import { ERROR_CATEGORIES } from "../errors.js";
import { AnalysisResultSchema, FindingSchema } from "./analysis.js";
import { ExecutionOutcomeSchema, ExecutionResultSchema } from "./execution.js";
import { EXECUTION_METHODS, EXECUTION_MODES, type ExecutionMethod } from "./request.js";
import { WriteManifestSchema } from "./write-manifest.js";

export const RUN_STATUSES = [
  "queued",
  "generating",
  "analyzing",
  "awaiting_approval",
  "executing",
  "completed",
  "failed",
  "rejected",
  "cancelled",
  "approval_expired",
  "outcome_unknown",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const RunStatusSchema = z.enum(RUN_STATUSES);

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  "completed",
  "failed",
  "rejected",
  "cancelled",
  "approval_expired",
  "outcome_unknown",
]);
export const isTerminalStatus = (s: RunStatus): boolean => TERMINAL_STATUSES.has(s);

/** `preview`: the dry run on the read-only side that builds a write run's manifest before approval. */
export const STAGES = ["generate", "analyze", "preview", "approve", "execute", "finalize"] as const;
export type Stage = (typeof STAGES)[number];

/** One entry of the error chain: structured feedback for the next generation. */
export const ErrorChainEntrySchema = z.object({
  stage: z.enum(STAGES),
  category: z.enum(ERROR_CATEGORIES),
  code: z.string(),
  message: z.string(),
  traceback: z.string().optional(),
  findings: z.array(FindingSchema).optional(),
  failedCode: z.string().optional(),
  attempt: z.number().int(),
  at: z.string(),
});
export type ErrorChainEntry = z.infer<typeof ErrorChainEntrySchema>;

export const TokenUsageSchema = z.object({
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  model: z.string(),
  latencyMs: z.number(),
  finishReason: z.string().nullable(),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/** One attempt: a piece of code and what happened to it. */
export const AttemptSchema = z.object({
  number: z.number().int().min(1),
  code: z.string(),
  codeHash: z.string(),
  source: z.enum(["generated", "provided", "regenerated-after-feedback"]),
  analysis: AnalysisResultSchema.optional(),
  outcome: ExecutionOutcomeSchema.optional(),
  /** Write runs: what the dry run will change (built by `preview`, shown to and signed by the approver). */
  manifest: WriteManifestSchema.optional(),
  notebookPath: z.string().optional(),
  usage: TokenUsageSchema.optional(),
  createdAt: z.string(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

/** The run hash in Redis (`<prefix>:run:<id>`), decoded. */
export const RunRecordSchema = z.object({
  runId: z.string(),
  threadId: z.string(),
  checkpointNs: z.string(),
  status: RunStatusSchema,
  stage: z.enum(STAGES).nullable(),
  mode: z.enum(EXECUTION_MODES).nullable(),
  /** Backend the run executes on (absent on records written before it was recorded). */
  method: z.enum(EXECUTION_METHODS).nullable().optional(),
  attempts: z.number().int(),
  requester: z.string(),
  task: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  approvalId: z.string().nullable(),
  resultSummary: z
    .object({
      resultKeys: z.array(z.string()),
      figureCount: z.number().int(),
      notebookPath: z.string().nullable(),
      notebookLink: z.string().nullable(),
    })
    .nullable(),
  error: z
    .object({ code: z.string(), category: z.enum(ERROR_CATEGORIES), message: z.string() })
    .nullable(),
  /** Set when an admin settled an `outcome_unknown` run (what was checked on the machine). */
  reconciliation: z
    .object({ outcome: z.enum(["succeeded", "failed"]), note: z.string(), by: z.string(), at: z.string() })
    .nullable()
    .optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** What a new run's record is made of (see {@link newRunRecord}). */
export interface NewRunRecordInput {
  runId: string;
  threadId: string;
  checkpointNs: string;
  requester: string;
  task: string;
  /** ISO time of the submit: `createdAt` and `updatedAt`. */
  at: string;
  /** Backend the run executes on. */
  method?: ExecutionMethod;
}

/**
 * The record of a run just submitted: queued, at no stage and no mode yet, no attempt, nothing
 * decided, finished or failed. The fleet's submit writes it; test records start from it.
 */
export function newRunRecord(input: NewRunRecordInput): RunRecord {
  return {
    runId: input.runId,
    threadId: input.threadId,
    checkpointNs: input.checkpointNs,
    status: "queued",
    stage: null,
    mode: null,
    attempts: 0,
    requester: input.requester,
    task: input.task,
    createdAt: input.at,
    updatedAt: input.at,
    finishedAt: null,
    approvalId: null,
    resultSummary: null,
    error: null,
    ...(input.method ? { method: input.method } : {}),
  };
}

export const RUN_EVENT_TYPES = [
  "status",
  "code_chunk",
  "code",
  "analysis",
  "approval",
  "stdout",
  "stderr",
  "result",
  "error",
  "finished",
] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** One entry of the run's event stream (`<prefix>:run:<id>:events`). */
export const RunEventSchema = z.object({
  /** Redis stream id; used as SSE `id` and for `Last-Event-ID` resumption. */
  id: z.string().optional(),
  runId: z.string(),
  type: z.enum(RUN_EVENT_TYPES),
  at: z.string(),
  stage: z.enum(STAGES).nullable().optional(),
  attempt: z.number().int().optional(),
  data: z.record(z.string(), z.unknown()),
});
export type RunEvent = z.infer<typeof RunEventSchema>;

/** Final outcome of a run, stored in the graph state and the run record. */
export const FinalResultSchema = z.object({
  status: RunStatusSchema,
  result: ExecutionResultSchema.nullable(),
  code: z.string().nullable(),
  attempts: z.number().int(),
  reason: z.string().nullable(),
});
export type FinalResult = z.infer<typeof FinalResultSchema>;
