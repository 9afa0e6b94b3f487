import { z } from "zod";
import { ERROR_CATEGORIES } from "../errors.js";
import { PerformedWriteSchema, WriteTargetSchema } from "./write-manifest.js";

/** `ename` of a run the backend stopped at its timeout (a code error: fed back to generation). */
export const TIMEOUT_ENAME = "ExecutionTimeout";

/** A user-code error reported by the harness (a value, not an exception). */
export const ExecutionErrorInfoSchema = z.object({
  ename: z.string(),
  evalue: z.string(),
  traceback: z.string(),
  category: z.enum(ERROR_CATEGORIES),
  /** The harness's error code when it named one (`WRITE_NOT_IN_MANIFEST`, `CONTROL_SYSTEM_WRITE_FAILED`, ...). */
  code: z.string().optional(),
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

/** A write the CA gate let through, with the server's own status and the value read back after it. */
export const GateWriteSchema = z.object({
  pv: z.string().nullable(),
  value: z.unknown(),
  outcome: z.enum(["performed", "failed"]),
  status: z.string(),
  readback: z.unknown().optional(),
});
export type GateWrite = z.infer<typeof GateWriteSchema>;

/** A write the CA gate refused (never forwarded to any CA server). */
export const GateRefusalSchema = z.object({
  pv: z.string().nullable(),
  value: z.unknown(),
  reason: z.string(),
  /** Why, as an error code: `WRITE_IN_READ_ONLY`, `WRITE_NOT_IN_MANIFEST` or `WRITE_OUT_OF_LIMITS`. */
  code: z.enum(["WRITE_IN_READ_ONLY", "WRITE_NOT_IN_MANIFEST", "WRITE_OUT_OF_LIMITS"]).optional(),
});
export type GateRefusal = z.infer<typeof GateRefusalSchema>;

/**
 * What the CA gate saw of one run (docs/security.md): the executor's truth about writes, whatever
 * the code's own report says.
 */
export const GateRecordSchema = z.object({ writes: z.array(GateWriteSchema), refused: z.array(GateRefusalSchema) });
export type GateRecord = z.infer<typeof GateRecordSchema>;

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
  /** Real writes of a write run, each with its true outcome and read-back. */
  performedWrites: z.array(PerformedWriteSchema).optional(),
  /** Dry run for a manifest: what the recorded PVs hold now (current value, units, limits). */
  writeTargets: z.array(WriteTargetSchema).optional(),
  warnings: z.array(z.string()).default([]),
  backend: z.string(),
  stdoutTruncated: z.boolean().default(false),
  /** Set by sandboxed backends: every write attempt as the CA gate saw it. */
  gate: GateRecordSchema.optional(),
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
  /** Real control-system writes with outcome and read-back. */
  writes: z.array(PerformedWriteSchema).optional(),
  error: ExecutionErrorInfoSchema.optional(),
});
export type ExecutionResult = z.infer<typeof ExecutionResultSchema>;
