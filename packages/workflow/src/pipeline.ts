/**
 * The step-mode pipeline (ARCHITECTURE §2): every process compiles the same graph with the shared
 * checkpointer, and each call advances a run by exactly one node.
 */
import { Command } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import {
  type ApprovalRequest,
  type Attempt,
  codeHash,
  PyfleetError,
  type SignedDecision,
  SignedDecisionSchema,
} from "@pyfleet/core";
import { compileRunGraph, firstNode, type RunGraph } from "./graph.js";
import {
  NODE_NAMES,
  type NodeName,
  type Pipeline,
  type PipelineDeps,
  type RunRef,
  type RunView,
  type StartRunInput,
  type StepOptions,
  type StepResult,
} from "./pipeline-types.js";
import { graphConfig, refForInput } from "./run-ref.js";
import { currentAttempt, type RunState, type RunUpdate, toRunStateValue } from "./state.js";
import { deriveStatus, runningStatus } from "./status.js";

/**
 * Compiles the pipeline on `checkpointer` (a MemorySaver in tests, the Redis saver in the fleet).
 * Safe to share between any number of concurrent runs.
 */
export function createPipeline(deps: PipelineDeps, checkpointer: BaseCheckpointSaver): Pipeline {
  const graph = compileRunGraph(deps, checkpointer);
  return {
    startRun: (input) => startRun(graph, deps, input),
    step: (ref, opts) => step(graph, ref, opts ?? {}),
    resume: (ref, decision, opts) => resume(graph, ref, decision, opts ?? {}),
    getRun: (ref) => readRun(graph, ref),
  };
}

function isNodeName(name: string | undefined): name is NodeName {
  return name !== undefined && (NODE_NAMES as readonly string[]).includes(name);
}

/** Reads a run's latest checkpoint; null when the thread has none. */
async function readRun(graph: RunGraph, ref: RunRef): Promise<RunView | null> {
  const snapshot = await graph.getState(graphConfig(ref));
  const state = snapshot.values as RunState;
  if (state.runId === undefined) return null;
  const pending = snapshot.next[0];
  const next = isNodeName(pending) ? pending : null;
  const interrupt = snapshot.tasks.flatMap((t) => t.interrupts).find((i) => i.value !== undefined)?.value as
    | ApprovalRequest
    | undefined;
  const view: RunView = { ref, next, state: toRunStateValue(state), status: deriveStatus(next, state, interrupt !== undefined) };
  if (interrupt !== undefined) view.interrupt = interrupt;
  return view;
}

async function readExisting(graph: RunGraph, ref: RunRef): Promise<RunView> {
  const run = await readRun(graph, ref);
  if (!run) throw new PyfleetError("NOT_FOUND", `no run on thread ${ref.threadId} (namespace "${ref.checkpointNs}")`);
  return run;
}

/**
 * Config of one invoke. `durability: "sync"` persists every checkpoint before the invoke returns
 * and before the next task starts, so no node runs ahead of a state another process cannot see.
 */
function invokeConfig(ref: RunRef, opts: StepOptions) {
  return { ...graphConfig(ref), durability: "sync" as const, ...(opts.signal ? { signal: opts.signal } : {}) };
}

/** The step result a view of a run stands for: what `step` returns after `ran` left the run at `run`. */
export function stepResult(ran: NodeName | null, run: RunView): StepResult {
  const result: StepResult = {
    ran,
    next: run.next,
    status: run.status,
    mode: currentAttempt(run.state)?.analysis?.execution_mode ?? null,
  };
  if (run.interrupt) result.interrupt = run.interrupt;
  if (run.next === null && run.state.final) result.final = run.state.final;
  const lastError = run.state.errorChain.at(-1);
  if (run.next === null && run.status !== "completed" && lastError) result.lastError = lastError;
  return result;
}

function notPending(ref: RunRef, wanted: string, run: RunView): PyfleetError {
  const actual = run.interrupt ? "approve (awaiting a decision)" : (run.next ?? "nothing (run finished)");
  return new PyfleetError("STEP_NOT_PENDING", `run on thread ${ref.threadId}: ${wanted} is not pending; pending is ${actual}`, {
    details: { expected: wanted, next: run.next, status: run.status },
  });
}

async function startRun(graph: RunGraph, deps: PipelineDeps, input: StartRunInput) {
  const ref = refForInput(input, input.request);
  const existing = await readRun(graph, ref);
  if (existing) {
    if (existing.state.runId === input.runId && existing.next !== null) {
      return { ref, next: existing.next, status: existing.status };
    }
    throw new PyfleetError("THREAD_HAS_RUN", `thread ${ref.threadId} already has run ${existing.state.runId}`, {
      details: { runId: existing.state.runId, threadId: ref.threadId, checkpointNs: ref.checkpointNs },
    });
  }
  const attempts: Attempt[] = [];
  if (input.request.code !== undefined) {
    attempts.push({
      number: 1,
      code: input.request.code,
      codeHash: codeHash(input.request.code),
      source: "provided",
      createdAt: deps.clock.now().toISOString(),
    });
  }
  const initial: RunUpdate = {
    runId: input.runId,
    threadId: ref.threadId,
    checkpointNs: ref.checkpointNs,
    request: input.request,
    executionMethod: input.executionMethod ?? input.request.execution_method ?? deps.defaultExecutionMethod,
    attempts,
  };
  await graph.invoke(initial, invokeConfig(ref, {}));
  const next = firstNode({ request: input.request });
  return { ref, next, status: runningStatus(next) };
}

async function step(graph: RunGraph, ref: RunRef, opts: StepOptions): Promise<StepResult> {
  const before = await readExisting(graph, ref);
  if (opts.expected !== undefined && (before.next !== opts.expected || before.interrupt)) {
    throw notPending(ref, opts.expected, before);
  }
  if (before.interrupt) throw notPending(ref, "a step", before);
  if (before.next === null) return stepResult(null, before);
  await opts.onStart?.();
  await graph.invoke(null, invokeConfig(ref, opts));
  return stepResult(before.next, await readExisting(graph, ref));
}

async function resume(graph: RunGraph, ref: RunRef, decision: SignedDecision, opts: StepOptions): Promise<StepResult> {
  const before = await readExisting(graph, ref);
  const wanted = opts.expected ?? "approve";
  if (wanted !== "approve" || before.next !== "approve" || !before.interrupt) throw notPending(ref, "approve", before);
  const parsed = SignedDecisionSchema.safeParse(decision);
  if (!parsed.success) throw new PyfleetError("VALIDATION_FAILED", `resume of run ${before.state.runId} needs a signed decision`);
  const parked = before.interrupt;
  const parkedManifest = parked.manifest?.hash ?? null;
  if (
    parsed.data.runId !== parked.runId ||
    parsed.data.attempt !== parked.attempt ||
    parsed.data.codeHash !== parked.codeHash ||
    (parked.executionMode === "write_access" && parked.manifest !== undefined && (parsed.data.manifestHash ?? null) !== parkedManifest)
  ) {
    throw new PyfleetError(
      "APPROVAL_HASH_MISMATCH",
      `decision for run ${parsed.data.runId} attempt ${parsed.data.attempt} does not match the parked attempt ${parked.attempt} of run ${parked.runId}`,
    );
  }
  await graph.invoke(new Command({ resume: parsed.data }), invokeConfig(ref, opts));
  return stepResult("approve", await readExisting(graph, ref));
}
