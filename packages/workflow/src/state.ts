/**
 * The LangGraph annotation of a run's state (ARCHITECTURE §1). Every field is plain JSON
 * because the checkpoint crosses processes; only `request` has a real reducer.
 */
import { Annotation } from "@langchain/langgraph";
import type {
  ApprovalRequest,
  Attempt,
  ErrorChainEntry,
  ExecutionMethod,
  FinalResult,
  PythonExecutionRequest,
  SignedDecision,
} from "@pyfleet/core";
import type { NodeName, RunEnding, RunStateValue } from "./pipeline-types.js";

/** Last write wins, with a default for runs that never wrote the field. */
function latest<T>(initial: () => T) {
  return Annotation<T>({ reducer: (_current: T, update: T) => update, default: initial });
}

/**
 * Keeps the first value forever: a resume or a buggy node can never replace the request
 * the run was approved for (the original lost it on resume, its "Issue #2").
 */
function setOnce<T>() {
  return Annotation<T>({
    reducer: (current: T, update: T) => (current === undefined || current === null ? update : current),
    default: () => undefined as T,
  });
}

export const RunStateAnnotation = Annotation.Root({
  runId: setOnce<string>(),
  threadId: setOnce<string>(),
  checkpointNs: setOnce<string>(),
  request: setOnce<PythonExecutionRequest>(),
  executionMethod: setOnce<ExecutionMethod>(),
  folderPath: latest<string | null>(() => null),
  attempts: latest<Attempt[]>(() => []),
  errorChain: latest<ErrorChainEntry[]>(() => []),
  generationFailures: latest<number>(() => 0),
  executionFailures: latest<number>(() => 0),
  needsApproval: latest<boolean>(() => false),
  approvalRequest: latest<ApprovalRequest | null>(() => null),
  decision: latest<SignedDecision | null>(() => null),
  route: latest<NodeName | null>(() => null),
  ending: latest<RunEnding | null>(() => null),
  final: latest<FinalResult | null>(() => null),
});

/** The annotation's value type; structurally the public {@link RunStateValue}. */
export type RunState = typeof RunStateAnnotation.State;
/** What a node returns: the fields it changes. */
export type RunUpdate = typeof RunStateAnnotation.Update;

/** The state as the public type (the annotation and the interface describe the same JSON). */
export function toRunStateValue(state: RunState): RunStateValue {
  return state;
}

/**
 * `update` without the fields whose value is already the state's (the same primitive, or the same
 * object). A node returns its whole contract (a passing analysis sets `needsApproval: false`,
 * `approvalRequest: null`, `decision: null`; every node repeats `folderPath`), and each field a
 * node returns is stored twice by the checkpointer: as a task write and as a new channel blob.
 * Leaving out a write of the value a channel already holds changes nothing in the state (every
 * channel keeps the last value written; set-once channels ignore a second one), and the routes
 * still read it from the state.
 */
export function changedOnly(state: RunState, update: RunUpdate): RunUpdate {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(update)) {
    if (!Object.is(value, (state as Record<string, unknown>)[key])) changed[key] = value;
  }
  return changed as RunUpdate;
}

/** The attempt the run is working on (the last one), if any. */
export function currentAttempt(state: Pick<RunState, "attempts">): Attempt | undefined {
  return state.attempts[state.attempts.length - 1];
}

/** Replaces the current attempt with `patch` applied (attempts are never mutated in place). */
export function patchCurrentAttempt(state: Pick<RunState, "attempts">, patch: Partial<Attempt>): Attempt[] {
  const last = currentAttempt(state);
  if (!last) return state.attempts;
  return [...state.attempts.slice(0, -1), { ...last, ...patch }];
}
