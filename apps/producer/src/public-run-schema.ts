import {
  ApprovalRequestSchema,
  AttemptSchema,
  ErrorChainEntrySchema,
  ExecutionOutcomeSchema,
  ExecutionResultSchema,
  FinalResultSchema,
  makeRequestSchema,
  RunRecordSchema,
} from "@pyfleet/core";
import { z } from "zod";

/**
 * zod form of the run view `GET /v1/runs/:id` answers ({@link PublicRun} in run-view.ts), for
 * `/openapi.json`: clients (the Python client's models) are checked against it, and
 * `public-run-schema.test.ts` checks it against the TypeScript type and a real view.
 */
const ArtifactRefSchema = z.object({ path: z.string(), url: z.string() });

export const PublicResultSchema = ExecutionResultSchema.omit({ folder_path: true, notebook_path: true, figure_paths: true }).extend({
  notebook_path: z.string().nullable(),
  notebook_url: z.string().nullable(),
  figure_paths: z.array(z.string()),
  figure_urls: z.array(z.string()),
});

export const PublicAttemptSchema = AttemptSchema.omit({ notebookPath: true, outcome: true }).extend({
  notebook: ArtifactRefSchema.nullable(),
  outcome: ExecutionOutcomeSchema.omit({ figures: true })
    .extend({ figures: z.array(z.object({ name: z.string(), mime: z.string(), url: z.string().nullable() })) })
    .nullable(),
});

const ResultSummarySchema = RunRecordSchema.shape.resultSummary.unwrap();

export const PublicRunSchema = RunRecordSchema.omit({ resultSummary: true }).extend({
  resultSummary: ResultSummarySchema.omit({ notebookPath: true }).extend({ notebook: ArtifactRefSchema.nullable() }).nullable(),
  final: FinalResultSchema.omit({ result: true }).extend({ result: PublicResultSchema.nullable() }).nullable(),
  approval: ApprovalRequestSchema.omit({ notebookPath: true }).extend({ notebook: ArtifactRefSchema.nullable() }).nullable(),
  attemptList: z.array(PublicAttemptSchema),
  errorChain: z.array(ErrorChainEntrySchema),
  request: makeRequestSchema().omit({ capability_context_data: true }).extend({ contextBytes: z.number().int() }).nullable(),
  /** URL of the final notebook (`GET /v1/runs/:id/notebook`), once there is one. */
  notebookUrl: z.string().nullable(),
});
