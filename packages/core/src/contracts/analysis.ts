import { z } from "zod";
import { EXECUTION_MODES } from "./request.js";

export const FINDING_LEVELS = ["block", "warn", "allow", "info"] as const;

/** One thing the analyzer noticed, with its location (1-based line and column). */
export const FindingSchema = z.object({
  rule: z.string(),
  level: z.enum(FINDING_LEVELS),
  line: z.number().int().min(0),
  column: z.number().int().min(0),
  snippet: z.string(),
  message: z.string(),
});
export type Finding = z.infer<typeof FindingSchema>;

/** A control-system access found in the code. `pv` is null when the name is not a literal. */
export const PvAccessSchema = z.object({
  pv: z.string().nullable(),
  line: z.number().int(),
  column: z.number().int(),
  api: z.string(),
  /** True when the access could not be resolved statically and is assumed (fail safe). */
  dynamic: z.boolean().default(false),
});
export type PvAccess = z.infer<typeof PvAccessSchema>;

/** Outcome of static analysis plus the approval policy's decision. */
export const AnalysisResultSchema = z.object({
  passed: z.boolean(),
  severity: z.enum(["info", "warning", "error"]),
  findings: z.array(FindingSchema),
  pv_writes: z.array(PvAccessSchema),
  pv_reads: z.array(PvAccessSchema),
  execution_mode: z.enum(EXECUTION_MODES),
  needs_approval: z.boolean(),
  reasoning: z.string(),
  /** Keys of `expected_results` the code assigns into `results`. */
  results_keys: z.array(z.string()).default([]),
  analyzer_version: z.string(),
  duration_ms: z.number().optional(),
});
export type AnalysisResult = z.infer<typeof AnalysisResultSchema>;
