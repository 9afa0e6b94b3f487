/**
 * The Python harness every backend runs user code through, and the conversion of its report
 * into an {@link ExecutionOutcome}.
 *
 * How to invoke it (full protocol in the header of `harness/pyfleet_harness.py`):
 *
 * ```
 * <repo>/.venv/bin/python <HARNESS_PATH> --code code.py [--context context.json]
 *     [--mode read_only|write_access] [--dry-run] [--report report.json]
 *     [--rlimit-as-mb N] [--rlimit-cpu-s N] [--rlimit-nofile N]
 * ```
 *
 * - User stdout/stderr go to the process's stdout/stderr as they happen (UTF-8, line buffered);
 *   the harness prints nothing of its own. Collect them yourself (e.g. {@link OutputCollector}).
 * - It writes one JSON report (a {@link HarnessReport}) atomically to `--report`
 *   (default `./pyfleet_report.json` in the cwd); figures are inside it as base64 PNG.
 * - Exit 0: report written (also when the user code failed: see `report.error`). Exit 2: bad
 *   arguments. Exit 3: report not writable. Anything else (signal, `os._exit`): died before
 *   reporting; treat as infrastructure.
 * - SIGINT interrupts the user code and still yields a report with `interrupted: true`.
 *
 * In a Jupyter kernel the same module publishes the report as `display_data` of
 * {@link RESULT_MIME} and each figure as `image/png` display_data (see the container backend).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type ErrorCategory,
  type ExecutionErrorInfo,
  type ExecutionOutcome,
  type Figure,
  PyfleetError,
  PerformedWriteSchema,
  projectPython,
  type RecordedWrite,
  TIMEOUT_ENAME,
  WriteTargetSchema,
} from "@pyfleet/core";
import { z } from "zod";

/** Absolute path of the harness file (`packages/execution/harness/pyfleet_harness.py`). */
export const HARNESS_PATH: string = fileURLToPath(new URL("../harness/pyfleet_harness.py", import.meta.url));

/** The harness's sibling module for control-system writes (must travel with the harness). */
export const WRITES_MODULE_PATH: string = fileURLToPath(new URL("../harness/pyfleet_writes.py", import.meta.url));

/**
 * The project venv's interpreter (or `$LOCAL_PYTHON_VENV`'s); never the `python3` first on PATH
 * (may be a pyenv shim without the project's packages).
 */
export const DEFAULT_PYTHON: string = projectPython();

/** MIME type of the report the harness publishes inside a Jupyter kernel. */
export const RESULT_MIME = "application/vnd.pyfleet.result+json";

/** Report protocol version this package understands. */
export const HARNESS_PROTOCOL = 1;

let cachedSource: string | undefined;
let cachedWrites: string | undefined;

/** The harness source (read once); the container backend sends it into kernels that lack it. */
export function harnessSource(): string {
  cachedSource ??= readFileSync(HARNESS_PATH, "utf8");
  return cachedSource;
}

/** Source of `pyfleet_writes.py` (read once): shipped beside the harness to kernels and sandboxes. */
export function writesModuleSource(): string {
  cachedWrites ??= readFileSync(WRITES_MODULE_PATH, "utf8");
  return cachedWrites;
}

const ReportErrorSchema = z.object({
  ename: z.string(),
  evalue: z.string(),
  traceback: z.string(),
  category: z.enum(["code", "policy"]),
  /** `SYNTAX_ERROR` | `RUNTIME_ERROR` | `EXECUTION_TIMEOUT` | `WRITE_IN_READ_ONLY`. */
  code: z.string(),
});

/** The JSON the harness writes (script mode) or publishes (kernel mode). */
export const HarnessReportSchema = z.object({
  protocol: z.literal(HARNESS_PROTOCOL),
  status: z.enum(["ok", "error"]),
  results: z.record(z.string(), z.unknown()).nullable(),
  error: ReportErrorSchema.nullable(),
  figures: z.array(z.object({ name: z.string(), data: z.string().optional() })),
  recorded_writes: z.array(z.object({ pv: z.string(), value: z.unknown(), api: z.string(), order: z.number().int() })),
  /** Real writes of a write run with their true outcome (`pyfleet_writes`). */
  performed_writes: z.array(PerformedWriteSchema).default([]),
  /** `--describe-writes`: current value, units and limits of the dry run's recorded PVs. */
  write_targets: z.array(WriteTargetSchema).default([]),
  warnings: z.array(z.string()),
  interrupted: z.boolean(),
  duration_ms: z.number(),
  /** Kernel mode: bytes the harness dropped per stream after `max_output_bytes`. */
  output_dropped: z.object({ stdout: z.number().optional(), stderr: z.number().optional() }).default({}),
});
export type HarnessReport = z.infer<typeof HarnessReportSchema>;

/**
 * Validates a parsed report.
 * @throws PyfleetError `INTERNAL` (infrastructure) when it is not a harness report.
 */
export function parseHarnessReport(value: unknown): HarnessReport {
  const parsed = HarnessReportSchema.safeParse(value);
  if (!parsed.success) {
    throw new PyfleetError("INTERNAL", `the harness report is malformed: ${parsed.error.message}`, {
      details: { issues: parsed.error.issues.slice(0, 5) },
    });
  }
  return parsed.data;
}

/** What the backend knows beyond the report. */
export interface OutcomeExtras {
  backend: string;
  stdout: string;
  stderr: string;
  stdoutTruncated?: boolean;
  /** Wall time seen by the backend; defaults to the harness's own measurement. */
  durationMs?: number;
  /** Figures that arrived outside the report (kernel mode `image/png` display_data). */
  figures?: Figure[];
  /** Set when the backend interrupted the run because it exceeded its timeout. */
  timedOutAfterMs?: number;
  /** Larger serialized `results` are refused with a `RESULTS_TOO_LARGE` code error. */
  maxResultBytes?: number;
}

/** Error info for a run the backend stopped on timeout (a `code` error: fed back to generation). */
export function timeoutErrorInfo(timeoutMs: number, traceback = ""): ExecutionErrorInfo {
  return {
    ename: TIMEOUT_ENAME,
    evalue: `EXECUTION_TIMEOUT: the code ran longer than ${Math.round(timeoutMs / 100) / 10} s (execution_timeout_seconds) and was stopped`,
    traceback,
    category: "code" satisfies ErrorCategory,
  };
}

/**
 * Turns a harness report into the outcome every backend returns.
 * @throws PyfleetError `KERNEL_DIED` (infrastructure) when the code was interrupted although the
 *   backend did not time it out (a kernel or server shutting down): not the code's fault.
 */
export function reportToOutcome(report: HarnessReport, extras: OutcomeExtras): ExecutionOutcome {
  if (report.interrupted && extras.timedOutAfterMs === undefined) {
    throw new PyfleetError("KERNEL_DIED", `the ${extras.backend} run was interrupted from outside (kernel or server shutting down)`, {
      details: { backend: extras.backend },
    });
  }
  const figures: Figure[] =
    extras.figures ??
    report.figures.flatMap((f) => (f.data === undefined ? [] : [{ name: f.name, mime: "image/png" as const, data: f.data }]));
  let error: ExecutionErrorInfo | undefined;
  let results = report.results;
  const resultBytes = extras.maxResultBytes === undefined || results === null ? 0 : Buffer.byteLength(JSON.stringify(results));
  if (extras.maxResultBytes !== undefined && resultBytes > extras.maxResultBytes) {
    results = null;
    error = {
      ename: "ResultsTooLarge",
      evalue: `RESULTS_TOO_LARGE: results are ${resultBytes} bytes as JSON, more than the ${extras.maxResultBytes} allowed (limits.max_result_bytes); return a summary and save bulk data to a file`,
      traceback: "",
      category: "code",
    };
  } else if (extras.timedOutAfterMs !== undefined) {
    error = timeoutErrorInfo(extras.timedOutAfterMs ?? report.duration_ms, report.error?.traceback ?? "");
  } else if (report.error) {
    const { ename, evalue, traceback, category, code } = report.error;
    error = { ename, evalue, traceback, category, code };
  }
  const outcome: ExecutionOutcome = {
    results,
    stdout: extras.stdout,
    stderr: extras.stderr,
    figures,
    durationMs: extras.durationMs ?? report.duration_ms,
    recordedWrites: report.recorded_writes as RecordedWrite[],
    performedWrites: report.performed_writes,
    writeTargets: report.write_targets,
    warnings: report.warnings,
    backend: extras.backend,
    stdoutTruncated: extras.stdoutTruncated ?? false,
  };
  if (error) outcome.error = error;
  return outcome;
}

/** The outcome of a run stopped on timeout before the harness could report (nothing but output). */
export function timeoutOutcome(extras: OutcomeExtras & { timedOutAfterMs: number }, traceback = ""): ExecutionOutcome {
  return {
    results: null,
    stdout: extras.stdout,
    stderr: extras.stderr,
    error: timeoutErrorInfo(extras.timedOutAfterMs, traceback),
    figures: extras.figures ?? [],
    durationMs: extras.durationMs ?? extras.timedOutAfterMs,
    recordedWrites: [],
    warnings: [],
    backend: extras.backend,
    stdoutTruncated: extras.stdoutTruncated ?? false,
  };
}
