/**
 * The public step-mode API of the pipeline (ARCHITECTURE §2). The fleet drives runs only
 * through these types; the graph itself stays an implementation detail of this package.
 */
import {
  type ApprovalRequest,
  type ApprovalVerifier,
  type ArtifactStore,
  type Attempt,
  type Clock,
  type CodeAnalyzer,
  type CodeGenerator,
  configDefaults,
  type ErrorChainEntry,
  type EventSink,
  type ExecutionGuard,
  type ExecutionMethod,
  type ExecutionMode,
  type ExecutorRegistry,
  type FinalResult,
  type Logger,
  type PythonExecutionRequest,
  type RunStatus,
  type SignedDecision,
  type TokenUsage,
} from "@pyfleet/core";

/** Graph node names, in pipeline order. */
export const NODE_NAMES = ["generate", "analyze", "preview", "approve", "execute", "finalize"] as const;
export type NodeName = (typeof NODE_NAMES)[number];

/** Identifies one run's thread in the checkpointer. */
export interface RunRef {
  threadId: string;
  checkpointNs: string;
}

export interface PipelineBudgets {
  /** Generation + analysis failures allowed before `failed` (config default 3). */
  maxGenerationRetries: number;
  /** Runtime (code-category) errors that regenerate, before `failed` (config default 3). */
  maxExecutionRetries: number;
}

/** Everything the nodes need, injected (the workflow package does no I/O of its own). */
export interface PipelineDeps {
  generator: CodeGenerator;
  analyzer: CodeAnalyzer;
  executors: ExecutorRegistry;
  artifacts: ArtifactStore;
  approvalVerifier: ApprovalVerifier;
  executionGuard: ExecutionGuard;
  events: EventSink;
  clock: Clock;
  logger: Logger;
  budgets: PipelineBudgets;
  /** Backend when the request names none. */
  defaultExecutionMethod: ExecutionMethod;
  /** Hard limit of one execution. */
  executionTimeoutMs: number;
  /** Write manifest and write execution settings (`control_system.*`); defaults below. */
  writeSafety?: WriteSafetyOptions;
}

/** How write runs are previewed and enforced (config `control_system`). */
export interface WriteSafetyOptions {
  /** Seconds a write (and a manifest read) waits for its PV to connect. */
  connectionTimeoutS: number;
  /** A dry run proposing a value outside a PV's limits goes back to generation, never to a human. */
  refuseOutOfLimits: boolean;
  /** At execute time, refuse a value outside the signed manifest's limits (not only an unlisted PV). */
  enforceLimits: boolean;
}

const { control_system: CONTROL_SYSTEM_DEFAULTS } = configDefaults();

/** The config schema's `control_system` defaults. */
export const DEFAULT_WRITE_SAFETY: WriteSafetyOptions = {
  connectionTimeoutS: CONTROL_SYSTEM_DEFAULTS.write_connection_timeout_seconds,
  refuseOutOfLimits: CONTROL_SYSTEM_DEFAULTS.refuse_out_of_limits,
  enforceLimits: CONTROL_SYSTEM_DEFAULTS.enforce_limits_at_execute,
};

/** Input of a new run. `runId` is chosen by the producer. */
export interface StartRunInput {
  runId: string;
  request: PythonExecutionRequest;
  /** Overrides `request.thread_id` / a generated one. */
  threadId?: string;
  checkpointNs?: string;
  /** Backend chosen per request (`configurable.execution_method`); wins over the request field. */
  executionMethod?: ExecutionMethod;
}

export interface StepOptions {
  /** The node the caller (a queue job) expects to be pending; a mismatch is refused. */
  expected?: NodeName;
  /** Aborts a running execution (cancellation). */
  signal?: AbortSignal;
  /**
   * Called once the pending node is confirmed (after the `expected` check), right before it
   * runs: the caller records the run as running without reading the checkpoint itself.
   */
  onStart?: () => Promise<void>;
}

/** What one `step` / `resume` did. */
export interface StepResult {
  /** The node that ran (null when nothing was pending). */
  ran: NodeName | null;
  /** The node now pending, or null when the run is finished. */
  next: NodeName | null;
  /** Set when `approve` interrupted: the payload to store as an approval record. */
  interrupt?: ApprovalRequest;
  /** Status the run is in after this step (derived from `next` / the final result). */
  status: RunStatus;
  /** Mode of the current attempt, once analysed (decides the execute queue). */
  mode: ExecutionMode | null;
  /** Set once the run is finished. */
  final?: FinalResult;
  /** The last entry of the error chain once the run finished without completing (its cause). */
  lastError?: ErrorChainEntry;
  /** LLM usage of the attempt `generate` just wrote (so a caller counting it reads no checkpoint). */
  usage?: TokenUsage;
}

/** How a run is about to end: set by the node that routes to `finalize`. */
export interface RunEnding {
  status: RunStatus;
  /** Why (the last error or the rejection reason); null for a completed run. */
  reason: string | null;
}

/** The JSON-serialisable state of one run (the LangGraph annotation's value type). */
export interface RunStateValue {
  runId: string;
  /** The run's {@link RunRef} parts, as given to `startRun`. */
  threadId: string;
  checkpointNs: string;
  request: PythonExecutionRequest;
  executionMethod: ExecutionMethod;
  folderPath: string | null;
  attempts: Attempt[];
  errorChain: ErrorChainEntry[];
  generationFailures: number;
  executionFailures: number;
  /** Whether the current attempt passed analysis and needs a human. */
  needsApproval: boolean;
  approvalRequest: ApprovalRequest | null;
  decision: SignedDecision | null;
  /** Node the last node routed to (read by the graph's conditional edges). */
  route: NodeName | null;
  /** Set when the route is `finalize`: the status and reason it will write. */
  ending: RunEnding | null;
  final: FinalResult | null;
}

/** A run as read back from the checkpointer. */
export interface RunView {
  ref: RunRef;
  next: NodeName | null;
  state: RunStateValue;
  status: RunStatus;
  interrupt?: ApprovalRequest;
}

/** The step-mode pipeline every process compiles identically. */
export interface Pipeline {
  /**
   * Stores the input and stops before the first node (`analyze` when code is provided).
   * Repeating it for the same run id while the run is unfinished returns the pending node.
   * @throws PyfleetError `THREAD_HAS_RUN` (`details.runId`) when another run owns the thread.
   */
  startRun(input: StartRunInput): Promise<{ ref: RunRef; next: NodeName; status: RunStatus }>;
  /**
   * Runs exactly the pending node.
   * @throws PyfleetError `STEP_NOT_PENDING` (no side effects) when `expected` is not pending or
   *   the run is parked in `approve` waiting for a decision (only `resume` moves it on);
   *   `NOT_FOUND` when the thread has no run;
   *   infrastructure errors from a node propagate and leave the thread at the same node.
   */
  step(ref: RunRef, opts?: StepOptions): Promise<StepResult>;
  /**
   * Resumes a run parked in `approve` with a (signed) decision.
   * @throws PyfleetError `STEP_NOT_PENDING` when the run is not parked, `VALIDATION_FAILED` for
   *   a value that is not a signed decision, `APPROVAL_HASH_MISMATCH` when the decision names
   *   another run, attempt or code hash than the parked one (all without side effects).
   */
  resume(ref: RunRef, decision: SignedDecision, opts?: StepOptions): Promise<StepResult>;
  /**
   * Reads a run; null when the thread has no checkpoint. A plain read writes nothing (the
   * producer's views); recovery paths pass `settle` (see {@link ReadOptions}).
   */
  getRun(ref: RunRef, opts?: ReadOptions): Promise<RunView | null>;
}

/** Options of {@link Pipeline.getRun}. */
export interface ReadOptions {
  /**
   * Complete a step whose node finished and stored its output but whose process stopped before
   * the next checkpoint was written (no node runs; the stored output is applied). `step` and
   * `resume` always do. Needs write access to the checkpoints. Default false.
   */
  settle?: boolean;
}
