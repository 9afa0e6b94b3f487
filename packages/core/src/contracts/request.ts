import { z } from "zod";
import { ID_PATTERN, ID_PATTERN_TEXT } from "./id.js";
import { jsonDepthExceeds } from "./json-depth.js";

/** Size and nesting limits enforced by the request schema; `limits` in config.yml overrides them. */
export interface RequestLimits {
  /** Max bytes of provided `code` (default 256 KiB). */
  maxCodeBytes: number;
  /** Max bytes of `capability_context_data` serialised as JSON (default 16 MiB). */
  maxContextBytes: number;
  /** Max nesting depth of the free-form `expected_results` and `capability_context_data` (default 64). */
  maxJsonDepth: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxCodeBytes: 256 * 1024,
  maxContextBytes: 16 * 1024 * 1024,
  maxJsonDepth: 64,
};

export const EXECUTION_METHODS = ["container", "local", "docker"] as const;
export type ExecutionMethod = (typeof EXECUTION_METHODS)[number];
export const EXECUTION_MODES = ["read_only", "write_access"] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

const byteLength = (s: string) => Buffer.byteLength(s, "utf8");

/**
 * Builds the request schema with the given limits. Every field of the original
 * `PythonExecutionRequest` plus pyfleet's `code`, `execution_method`, `thread_id`, `checkpoint_ns`.
 */
export function makeRequestSchema(limits: RequestLimits = DEFAULT_REQUEST_LIMITS) {
  // Checked first and aborting: later checks (and every consumer) may recurse over the value.
  const depthCheck = (field: string) =>
    [
      (v: unknown) => v == null || !jsonDepthExceeds(v, limits.maxJsonDepth),
      { message: `${field} nests deeper than the limit of ${limits.maxJsonDepth} levels (limits.max_json_depth)`, abort: true },
    ] as const;
  return z
    .object({
      user_query: z.string().min(1, "user_query must be a non-empty string"),
      task_objective: z.string().min(1, "task_objective must be a non-empty string"),
      expected_results: z
        .record(z.string(), z.unknown())
        .refine(...depthCheck("expected_results"))
        .default({}),
      capability_prompts: z.array(z.string()).default([]),
      execution_folder_name: z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,80}$/, "execution_folder_name may only hold letters, digits, '_', '.', '-' (1-80 chars)")
        .refine((s) => s !== "." && s !== "..", "execution_folder_name cannot be '.' or '..'")
        .default("python_capability"),
      capability_context_data: z
        .record(z.string(), z.unknown())
        .nullable()
        .optional()
        .refine(...depthCheck("capability_context_data"))
        .refine(
          (v) => v == null || byteLength(JSON.stringify(v)) <= limits.maxContextBytes,
          `capability_context_data is larger than the limit of ${limits.maxContextBytes} bytes (limits.max_context_bytes)`,
        ),
      retries: z.number().int().min(0).max(20).optional(),
      code: z
        .string()
        .min(1, "code must not be empty when given")
        .refine(
          (s) => byteLength(s) <= limits.maxCodeBytes,
          `code is larger than the limit of ${limits.maxCodeBytes} bytes (limits.max_code_bytes)`,
        )
        .optional(),
      execution_method: z.enum(EXECUTION_METHODS).optional(),
      thread_id: z.string().regex(ID_PATTERN, `thread_id must match ${ID_PATTERN_TEXT}`).optional(),
      checkpoint_ns: z.string().max(128).optional(),
      /** Who asked (set by the producer from the token identity; ignored when sent by clients). */
      requester: z.string().max(128).optional(),
      /** Dry run: control-system writes are recorded, not performed. */
      dry_run: z.boolean().optional(),
    })
    .strict();
}

/** The request schema with default limits. */
export const PythonExecutionRequestSchema = makeRequestSchema();
/** A request as sent by a producer (defaults not yet applied). */
export type PythonExecutionRequestInput = z.input<typeof PythonExecutionRequestSchema>;
/** A validated request with defaults applied. */
export type PythonExecutionRequest = z.output<typeof PythonExecutionRequestSchema>;
