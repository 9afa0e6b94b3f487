import { z } from "zod";

export const NOTEBOOK_STAGES = [
  "syntax_error",
  "static_analysis_failed",
  "awaiting_approval",
  "execution_failed",
  "execution_succeeded",
  "final_success",
  "final_failure",
] as const;

/** A notebook written for an attempt or at the end of a run. */
export const NotebookAttemptSchema = z.object({
  kind: z.enum(["attempt", "final"]),
  attempt: z.number().int(),
  stage: z.enum(NOTEBOOK_STAGES),
  path: z.string(),
  link: z.string().nullable(),
  errorContext: z.string().optional(),
  createdAt: z.string(),
});
export type NotebookAttempt = z.infer<typeof NotebookAttemptSchema>;
