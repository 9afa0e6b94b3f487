import { z } from "zod";
import { ApprovalRequestSchema } from "./approval.js";
import { ExecutionOutcomeSchema, ExecutionResultSchema } from "./execution.js";
import { makeRequestSchema } from "./request.js";
import { AttemptSchema, ErrorChainEntrySchema, FinalResultSchema, RunRecordSchema } from "./run.js";

/**
 * The run as the producer's `GET /v1/runs/:id` answers it: one definition for the producer (which
 * builds it and documents it in `/openapi.json`), the TypeScript client and the console, which
 * read it. No absolute path of the server's disk appears in it: files of the run folder are
 * {@link ArtifactRef}s.
 */

/** A file of the run folder: its path inside the folder and the URL (relative to the producer) serving it. */
export const ArtifactRefSchema = z.object({ path: z.string(), url: z.string() });
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;

/** The final result with every path made relative to the run folder and given a URL. */
export const PublicResultSchema = ExecutionResultSchema.omit({ folder_path: true, notebook_path: true, figure_paths: true }).extend({
  notebook_path: z.string().nullable(),
  notebook_url: z.string().nullable(),
  figure_paths: z.array(z.string()),
  figure_urls: z.array(z.string()),
});
export type PublicResult = z.infer<typeof PublicResultSchema>;

/** An attempt as the API shows it: figures and the notebook as URLs, never server paths. */
export const PublicAttemptSchema = AttemptSchema.omit({ notebookPath: true, outcome: true }).extend({
  notebook: ArtifactRefSchema.nullable(),
  outcome: ExecutionOutcomeSchema.omit({ figures: true })
    .extend({ figures: z.array(z.object({ name: z.string(), mime: z.string(), url: z.string().nullable() })) })
    .nullable(),
});
export type PublicAttempt = z.infer<typeof PublicAttemptSchema>;

const ResultSummarySchema = RunRecordSchema.shape.resultSummary.unwrap();

/** `GET /v1/runs/:id`: the record, every attempt, the final result once finished, the pending approval. */
export const PublicRunSchema = RunRecordSchema.omit({ resultSummary: true }).extend({
  resultSummary: ResultSummarySchema.omit({ notebookPath: true }).extend({ notebook: ArtifactRefSchema.nullable() }).nullable(),
  final: FinalResultSchema.omit({ result: true }).extend({ result: PublicResultSchema.nullable() }).nullable(),
  approval: ApprovalRequestSchema.omit({ notebookPath: true }).extend({ notebook: ArtifactRefSchema.nullable() }).nullable(),
  attemptList: z.array(PublicAttemptSchema),
  errorChain: z.array(ErrorChainEntrySchema),
  /** The request as submitted, without its capability context (only its size). */
  request: makeRequestSchema().omit({ capability_context_data: true }).extend({ contextBytes: z.number().int() }).nullable(),
  /** URL of the final notebook (`GET /v1/runs/:id/notebook`), once there is one. */
  notebookUrl: z.string().nullable(),
});
export type PublicRun = z.infer<typeof PublicRunSchema>;
