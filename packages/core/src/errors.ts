/**
 * One error type for the whole fleet. The `category` decides the route a failure takes
 * (ARCHITECTURE §8): `code` → regenerate, `infrastructure` → retry the stage job,
 * `policy` → fail without retry, `configuration` → fail fast at start-up,
 * `approval` → refuse and audit, `validation` → reject the input with field paths.
 */
export const ERROR_CATEGORIES = [
  "code",
  "infrastructure",
  "policy",
  "configuration",
  "approval",
  "validation",
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

/** Every error code the fleet raises. Branch on these, never on messages. */
export const ERROR_CODES = {
  // code: the user's (LLM's) code is wrong; goes back to generation as feedback
  SYNTAX_ERROR: "code",
  ANALYSIS_BLOCKED: "code",
  RUNTIME_ERROR: "code",
  NO_CODE_IN_REPLY: "code",
  REPLY_TRUNCATED: "code",
  RESULTS_MISSING: "code",
  EXECUTION_TIMEOUT: "code",
  DRY_RUN_FAILED: "code",
  MANIFEST_OUT_OF_LIMITS: "code",
  RESULTS_TOO_LARGE: "code",
  // infrastructure: transient; the stage job is retried on the same code
  REDIS_UNAVAILABLE: "infrastructure",
  KERNEL_DIED: "infrastructure",
  KERNEL_UNAVAILABLE: "infrastructure",
  BACKEND_UNAVAILABLE: "infrastructure",
  LLM_UNAVAILABLE: "infrastructure",
  STAGE_RETRIES_EXHAUSTED: "infrastructure",
  INTERNAL: "infrastructure",
  WAIT_TIMEOUT: "infrastructure",
  /** Stored data of one run (record or checkpoint) cannot be read; the rest of the fleet is fine. */
  RECORD_CORRUPT: "infrastructure",
  // policy: safety violations; never retried
  WRITE_IN_READ_ONLY: "policy",
  WRITES_DISABLED: "policy",
  MEMORY_LIMIT: "policy",
  METHOD_NOT_ALLOWED: "policy",
  OUTCOME_UNKNOWN: "policy",
  WRITE_NOT_IN_MANIFEST: "policy",
  WRITE_OUT_OF_LIMITS: "policy",
  CONTROL_SYSTEM_WRITE_FAILED: "policy",
  // configuration: fail fast
  CONFIG_INVALID: "configuration",
  CONFIG_NOT_FOUND: "configuration",
  LLM_CONFIG: "configuration",
  IMAGE_MISSING: "configuration",
  BACKEND_MISCONFIGURED: "configuration",
  // approval
  APPROVAL_MISSING: "approval",
  APPROVAL_SIGNATURE_INVALID: "approval",
  APPROVAL_EXPIRED: "approval",
  APPROVAL_HASH_MISMATCH: "approval",
  APPROVAL_MANIFEST_MISMATCH: "approval",
  APPROVAL_ALREADY_DECIDED: "approval",
  APPROVAL_FORBIDDEN: "approval",
  APPROVAL_NOT_FOUND: "approval",
  APPROVAL_REJECTED: "approval",
  // validation
  VALIDATION_FAILED: "validation",
  NOT_FOUND: "validation",
  STEP_NOT_PENDING: "validation",
  PAYLOAD_TOO_LARGE: "validation",
  UNAUTHORIZED: "validation",
  FORBIDDEN: "validation",
  CANCELLED: "validation",
  THREAD_HAS_RUN: "validation",
  RUN_NOT_RECONCILABLE: "validation",
} as const satisfies Record<string, ErrorCategory>;
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The HTTP status every service answers an error code with (the producer, the approver and the
 * console share this map through `@pyfleet/service-kit`). Kept next to {@link ERROR_CODES} and
 * total over them, so a new code cannot ship without a status. Codes a caller cannot cause or fix
 * (code, policy, configuration, most infrastructure) are 500; an unreachable Redis is 503.
 */
export const HTTP_STATUS = {
  SYNTAX_ERROR: 500,
  ANALYSIS_BLOCKED: 500,
  RUNTIME_ERROR: 500,
  NO_CODE_IN_REPLY: 500,
  REPLY_TRUNCATED: 500,
  RESULTS_MISSING: 500,
  EXECUTION_TIMEOUT: 500,
  DRY_RUN_FAILED: 500,
  MANIFEST_OUT_OF_LIMITS: 500,
  RESULTS_TOO_LARGE: 500,
  REDIS_UNAVAILABLE: 503,
  KERNEL_DIED: 500,
  KERNEL_UNAVAILABLE: 500,
  BACKEND_UNAVAILABLE: 500,
  LLM_UNAVAILABLE: 500,
  STAGE_RETRIES_EXHAUSTED: 500,
  INTERNAL: 500,
  WAIT_TIMEOUT: 500,
  RECORD_CORRUPT: 500,
  WRITE_IN_READ_ONLY: 500,
  WRITES_DISABLED: 500,
  MEMORY_LIMIT: 500,
  METHOD_NOT_ALLOWED: 500,
  OUTCOME_UNKNOWN: 500,
  WRITE_NOT_IN_MANIFEST: 500,
  WRITE_OUT_OF_LIMITS: 500,
  CONTROL_SYSTEM_WRITE_FAILED: 500,
  CONFIG_INVALID: 500,
  CONFIG_NOT_FOUND: 500,
  LLM_CONFIG: 500,
  IMAGE_MISSING: 500,
  BACKEND_MISCONFIGURED: 500,
  APPROVAL_MISSING: 500,
  APPROVAL_SIGNATURE_INVALID: 500,
  APPROVAL_EXPIRED: 410,
  APPROVAL_HASH_MISMATCH: 409,
  APPROVAL_MANIFEST_MISMATCH: 409,
  APPROVAL_ALREADY_DECIDED: 409,
  APPROVAL_FORBIDDEN: 403,
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_REJECTED: 409,
  VALIDATION_FAILED: 400,
  NOT_FOUND: 404,
  STEP_NOT_PENDING: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  CANCELLED: 409,
  THREAD_HAS_RUN: 409,
  RUN_NOT_RECONCILABLE: 409,
} as const satisfies Record<ErrorCode, number>;

/** The HTTP status of an error code ({@link HTTP_STATUS}). */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** A problem with one field of an input, named by its dotted path. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The plain-JSON form of a {@link PyfleetError}; the only form that crosses a queue. */
export interface PyfleetErrorJSON {
  name: "PyfleetError";
  code: ErrorCode;
  category: ErrorCategory;
  retryable: boolean;
  message: string;
  details?: Record<string, unknown>;
  issues?: FieldIssue[];
  cause?: PyfleetErrorJSON | { name: string; message: string };
}

export interface PyfleetErrorOptions {
  /** Defaults to `true` for `infrastructure`, `false` otherwise. */
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
  issues?: FieldIssue[];
}

/**
 * Base error of pyfleet.
 * @example throw new PyfleetError("KERNEL_DIED", "kernel python3-epics-readonly died during execute")
 */
export class PyfleetError extends Error {
  override readonly name = "PyfleetError";
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly issues: FieldIssue[] | undefined;

  constructor(code: ErrorCode, message: string, options: PyfleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = ERROR_CODES[code];
    this.retryable = options.retryable ?? this.category === "infrastructure";
    this.details = options.details;
    this.issues = options.issues;
  }

  /** Plain JSON, safe to put in a queue payload or a Redis hash. */
  toJSON(): PyfleetErrorJSON {
    const out: PyfleetErrorJSON = {
      name: "PyfleetError",
      code: this.code,
      category: this.category,
      retryable: this.retryable,
      message: this.message,
    };
    if (this.details) out.details = this.details;
    if (this.issues) out.issues = this.issues;
    const cause = this.cause;
    if (cause instanceof PyfleetError) out.cause = cause.toJSON();
    else if (cause instanceof Error) out.cause = { name: cause.name, message: cause.message };
    return out;
  }

  /** Rebuilds an error from its JSON form (the cause chain is kept as JSON in `details.cause`). */
  static fromJSON(json: PyfleetErrorJSON): PyfleetError {
    const opts: PyfleetErrorOptions = { retryable: json.retryable };
    if (json.details) opts.details = json.details;
    if (json.issues) opts.issues = json.issues;
    if (json.cause) {
      opts.cause =
        "code" in json.cause
          ? PyfleetError.fromJSON(json.cause as PyfleetErrorJSON)
          : Object.assign(new Error(json.cause.message), { name: json.cause.name });
    }
    return new PyfleetError(json.code, json.message, opts);
  }

  /** True for anything that looks like a serialised PyfleetError. */
  static isJSON(value: unknown): value is PyfleetErrorJSON {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { name?: unknown }).name === "PyfleetError" &&
      typeof (value as { code?: unknown }).code === "string" &&
      (value as { code: string }).code in ERROR_CODES
    );
  }
}

/** Wraps anything thrown into a PyfleetError (unknown errors become `INTERNAL`, retryable). */
export function toPyfleetError(err: unknown, fallback: ErrorCode = "INTERNAL"): PyfleetError {
  if (err instanceof PyfleetError) return err;
  if (PyfleetError.isJSON(err)) return PyfleetError.fromJSON(err);
  const message = err instanceof Error ? err.message : String(err);
  return new PyfleetError(fallback, message, { cause: err });
}

/** Type guard usable across realms and package copies. */
export function isPyfleetError(err: unknown): err is PyfleetError {
  return err instanceof PyfleetError || (err instanceof Error && err.name === "PyfleetError" && "code" in err);
}
