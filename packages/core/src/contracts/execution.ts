import { z } from "zod";
import { ERROR_CATEGORIES } from "../errors.js";

/** `ename` of a run the backend stopped at its timeout (a code error: fed back to generation). */
export const TIMEOUT_ENAME = "ExecutionTimeout";

/** A user-code error reported by the harness (a value, not an exception). */
export const ExecutionErrorInfoSchema = z.object({
  ename: z.string(),
  evalue: z.string(),
  traceback: z.string(),
  category: z.enum(ERROR_CATEGORIES),
});
export type ExecutionErrorInfo = z.infer<typeof ExecutionErrorInfoSchema>;

/** A control-system write recorded by the harness in dry-run mode. */
export const RecordedWriteSchema = z.object({
  pv: z.string(),
  value: z.unknown(),
  api: z.string(),
  order: z.number().int(),
});
export type RecordedWrite = z.infer<typeof RecordedWriteSchema>;

/** A figure produced by the code; `path` is set once stored in the artifact folder. */
export const FigureSchema = z.object({
  name: z.string(),
  mime: z.literal("image/png"),
  /** base64 PNG; dropped once the figure is written to disk. */
  data: z.string().optional(),
  path: z.string().optional(),
});
export type Figure = z.infer<typeof FigureSchema>;

/**
 * What every backend returns (ARCHITECTURE §4). A user-code error is `error`;
 * infrastructure failures are thrown as PyfleetError instead.
 */
export const ExecutionOutcomeSchema = z.object({
  results: z.record(z.string(), z.unknown()).nullable(),
  stdout: z.string(),
  stderr: z.string(),
  error: ExecutionErrorInfoSchema.optional(),
  figures: z.array(FigureSchema),
  durationMs: z.number(),
  recordedWrites: z.array(RecordedWriteSchema).default([]),
  warnings: z.array(z.string()).default([]),
  backend: z.string(),
  stdoutTruncated: z.boolean().default(false),
});
export type ExecutionOutcome = z.infer<typeof ExecutionOutcomeSchema>;

/** The public result of a successful run (the original `PythonExecutionSuccess`, JSON form). */
export const ExecutionResultSchema = z.object({
  results: z.record(z.string(), z.unknown()),
  stdout: z.string(),
  stderr: z.string(),
  execution_time: z.number(),
  folder_path: z.string().nullable(),
  notebook_path: z.string().nullable(),
  notebook_link: z.string().nullable(),
  figure_paths: z.array(z.string()),
  recorded_writes: z.array(RecordedWriteSchema).default([]),
  error: ExecutionErrorInfoSchema.optional(),
});
export type ExecutionResult = z.infer<typeof ExecutionResultSchema>;
