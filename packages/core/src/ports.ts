/**
 * The interfaces the workflow consumes. Implementations live in their own packages
 * (generation, analysis, execution, notebooks, fleet); the workflow gets them injected and
 * never does I/O itself. Each interface has an in-memory fake in the workflow's tests.
 */
import type { AnalysisResult } from "./contracts/analysis.js";
import type { SignedDecision } from "./contracts/approval.js";
import type { ExecutionOutcome } from "./contracts/execution.js";
import type { PerformedWrite, WritePolicy } from "./contracts/write-manifest.js";
import type { ExecutionMethod, ExecutionMode, PythonExecutionRequest } from "./contracts/request.js";
import type { Attempt, ErrorChainEntry, RunEvent, TokenUsage } from "./contracts/run.js";

export interface GenerateInput {
  runId: string;
  request: PythonExecutionRequest;
  /** 1-based number of the attempt being generated. */
  attempt: number;
  /** Earlier failures, oldest first; the generator feeds the last N back to the model. */
  errorChain: ErrorChainEntry[];
  /** Folder of this attempt when prompts should be saved there (`save_prompts`). */
  attemptDir?: string;
  /** Receives generated text in batches while the model streams. */
  onChunk?: (text: string) => void;
  /**
   * Called when the reply starts streaming again from its beginning (a retried request): text
   * received through `onChunk` so far is void. Only called after some text was delivered.
   */
  onRestart?: () => void;
  signal?: AbortSignal;
}

export interface GeneratedCode {
  code: string;
  usage?: TokenUsage;
}

/**
 * Writes Python for a request.
 * @throws PyfleetError `code` category when the reply holds no usable code (fed back),
 *   `infrastructure` when the model is unreachable after retries, `configuration` on 400/401/404.
 */
export interface CodeGenerator {
  generate(input: GenerateInput): Promise<GeneratedCode>;
}

export interface AnalyzeInput {
  code: string;
  expectedResults: Record<string, unknown>;
}

/** Static analysis + approval policy. Never throws for bad code: a failed analysis is a value. */
export interface CodeAnalyzer {
  analyze(input: AnalyzeInput): Promise<AnalysisResult>;
}

export interface ExecuteInput {
  runId: string;
  attempt: number;
  code: string;
  mode: ExecutionMode;
  /** Context data exposed to the code as `context` (context.json). */
  context: Record<string, unknown> | null;
  /** Folder the code runs in (cwd for local; copied in/out for docker; unused for container). */
  workDir: string;
  timeoutMs: number;
  /** Record control-system writes instead of performing them. */
  dryRun: boolean;
  /** What a write may touch (write runs: the signed manifest) and the write connection timeout. */
  writePolicy?: WritePolicy;
  /** With `dryRun`: read current value, units and limits of every recorded PV (`outcome.writeTargets`). */
  describeWrites?: boolean;
  signal?: AbortSignal;
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
}

/**
 * Runs code on one backend. User-code errors come back in `outcome.error`.
 * @throws PyfleetError `infrastructure` (kernel died, backend unreachable), `configuration`
 *   (image missing), `policy` (memory limit).
 */
export interface Executor {
  readonly method: ExecutionMethod;
  execute(input: ExecuteInput): Promise<ExecutionOutcome>;
  /** Releases kernels, processes and connections. Idempotent. */
  close(): Promise<void>;
}

/** Hands out the executor for a backend and mode (kernels are per mode). */
export interface ExecutorRegistry {
  get(method: ExecutionMethod, mode: ExecutionMode): Executor;
  /** Kernel name used for a mode (shown in approval requests). */
  kernelName(mode: ExecutionMode): string;
}

export interface RunFolder {
  folderPath: string;
}

export interface SavedAttempt {
  attemptDir: string;
  notebookPath: string;
  notebookLink: string | null;
  figurePaths: string[];
}

export interface SavedFinal {
  notebookPath: string;
  notebookLink: string | null;
  figurePaths: string[];
  resultsPath: string;
}

/**
 * The run's folder on disk: `<root>/<YYYY-MM>/<runId>_<folder>/` with context.json,
 * `attempts/<NN>/` and the final notebook (see issue 6 §6).
 */
export interface ArtifactStore {
  /** Creates the run folder (idempotent) and writes context.json. */
  initRun(input: {
    runId: string;
    request: PythonExecutionRequest;
    createdAt: string;
  }): Promise<RunFolder>;
  /** Working folder of one attempt (created if missing). */
  attemptDir(folder: RunFolder, attempt: number): Promise<string>;
  /** Writes code, analysis, outputs, figures and the attempt notebook. */
  saveAttempt(input: {
    folder: RunFolder;
    request: PythonExecutionRequest;
    attempt: Attempt;
    stage: import("./contracts/notebook.js").NotebookAttempt["stage"];
    error?: ErrorChainEntry;
  }): Promise<SavedAttempt>;
  /** Writes the final notebook, results.json, figures and metadata.json. */
  saveFinal(input: {
    folder: RunFolder;
    request: PythonExecutionRequest;
    attempt: Attempt | null;
    status: string;
    errorChain: ErrorChainEntry[];
  }): Promise<SavedFinal>;
}

/** What a decision must be for. `manifestHash` (write runs) is the manifest about to be enforced. */
export interface ApprovalExpectation {
  runId: string;
  attempt: number;
  codeHash: string;
  mode: ExecutionMode;
  manifestHash?: string | null;
}

/** Verifies a signed approval decision before write-mode code runs. */
export interface ApprovalVerifier {
  /**
   * @throws PyfleetError `approval` category when the decision is missing, unsigned,
   *   signed with an unknown key, expired, or for another run, attempt, mode or code hash;
   *   `APPROVAL_MANIFEST_MISMATCH` when `expected.manifestHash` is given and the decision signed
   *   another write manifest.
   */
  verify(decision: unknown, expected: ApprovalExpectation): Promise<SignedDecision>;
}

/** At-most-once guard for write executions (ARCHITECTURE §6). */
export interface ExecutionGuard {
  /** `SET NX` of the marker; `already_started` when a previous delivery got there first. */
  begin(input: {
    runId: string;
    attempt: number;
    codeHash: string;
  }): Promise<"acquired" | "already_started">;
  /**
   * Records the true outcome on the marker after the code ran, with every real write (performed,
   * failed or refused) and the error that failed the run, if any.
   */
  end(input: {
    runId: string;
    attempt: number;
    outcome: "succeeded" | "failed";
    writes?: PerformedWrite[];
    error?: { code: string; message: string } | null;
  }): Promise<void>;
}

/** Where nodes publish progress (code chunks, verdicts, stdout). */
export interface EventSink {
  emit(event: Omit<RunEvent, "at" | "id"> & { at?: string }): void | Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
