/**
 * The step-mode pipeline (ARCHITECTURE §2): every process compiles the same graph with the shared
 * checkpointer, and each call advances a run by exactly one node.
 */
import { Command, type Interrupt, START } from "@langchain/langgraph";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";
import {
  type ApprovalRequest,
  type Attempt,
  codeHash,
  PyfleetError,
  type SignedDecision,
  SignedDecisionSchema,
} from "@pyfleet/core";
import { FastSteps } from "./fast-step.js";
import { compileRunGraph, createRunNodes, firstNode, type RunGraph } from "./graph.js";
import {
  NODE_NAMES,
  type NodeName,
  type Pipeline,
  type PipelineDeps,
  type ReadOptions,
  type RunRef,
  type RunView,
  type StartRunInput,
  type StepOptions,
  type StepResult,
} from "./pipeline-types.js";
import { graphConfig, graphThreadId, refForInput } from "./run-ref.js";
import { currentAttempt, type RunState, type RunUpdate, toRunStateValue } from "./state.js";
import { deriveStatus, runningStatus } from "./status.js";
import { StepReadSaver } from "./step-read-saver.js";

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  /**
   * Run the steps of nodes that cannot interrupt without LangGraph's invoke, storing the same
   * checkpoints (see fast-step.ts). Default true; false runs every step through LangGraph.
   */
  fastSteps?: boolean;
}

/**
 * Compiles the pipeline on `checkpointer` (a MemorySaver in tests, the Redis saver in the fleet).
 * Safe to share between any number of concurrent runs.
 */
export function createPipeline(deps: PipelineDeps, checkpointer: BaseCheckpointSaver, options: PipelineOptions = {}): Pipeline {
  const saver = new StepReadSaver(checkpointer);
  const nodes = createRunNodes(deps);
  const graph = compileRunGraph(nodes, saver);
  const fast = options.fastSteps === false ? undefined : FastSteps.for(graph, nodes, saver);
  // a call reads the run once: its invoke loads the checkpoint its checks were made on
  const once = <T>(ref: RunRef, fn: () => Promise<T>) => saver.once(graphThreadId(ref), fn);
  return {
    startRun: async (input) => once(refForInput(input, input.request), () => startRun(graph, fast, deps, input)),
    step: (ref, opts) => once(ref, () => step(graph, fast, ref, opts ?? {})),
    resume: (ref, decision, opts) => once(ref, () => resume(graph, ref, decision, opts ?? {})),
    getRun: (ref, opts) => readRun(graph, ref, opts),
  };
}

function isNodeName(name: string | undefined): name is NodeName {
  return name !== undefined && (NODE_NAMES as readonly string[]).includes(name);
}

/**
 * Reads a run's latest checkpoint; null when the thread has none. With `settle`, a step whose
 * node finished but whose checkpoint was never written is completed first (see {@link settle}).
 */
async function readRun(graph: RunGraph, ref: RunRef, opts: ReadOptions = {}): Promise<RunView | null> {
  let snapshot = await graph.getState(graphConfig(ref));
  if (opts.settle && isHalfApplied(snapshot)) snapshot = await settle(graph, ref);
  return viewOf(ref, snapshot.values as RunState, snapshot.next, snapshot.tasks.flatMap((t) => t.interrupts));
}

type Snapshot = Awaited<ReturnType<RunGraph["getState"]>>;

/**
 * Whether the node of the latest checkpoint finished and stored its output, but the checkpoint
 * after it was never written: LangGraph stores a task's writes as the task ends and the next
 * checkpoint after the superstep, so a process that stopped between the two (chaos: an approver
 * SIGKILLed mid-resume) leaves every pending task with writes (none left in `next`) and, for
 * `approve`, the interrupt it parked with still on the task.
 */
function isHalfApplied(snapshot: Snapshot): boolean {
  return snapshot.tasks.length > 0 && snapshot.next.length === 0;
}

/**
 * Completes a half-applied step: `invoke(null)` applies the writes the node stored, without
 * running it again (LangGraph skips a task that has writes), saves the checkpoint the stopped
 * process would have saved and stops before the next node (`interruptBefore`). No node runs, so
 * no code runs twice; the stored output decides where the run goes, as it would have.
 */
async function settle(graph: RunGraph, ref: RunRef): Promise<Snapshot> {
  await graph.invoke(null, invokeConfig(ref, {}));
  return graph.getState(graphConfig(ref));
}

/** A run's view from a checkpoint's values, its pending nodes and the interrupts of their tasks; null without a run. */
function viewOf(ref: RunRef, state: RunState, nextNodes: readonly string[], interrupts: readonly Interrupt[]): RunView | null {
  if (state.runId === undefined) return null;
  const pending = nextNodes[0];
  const next = isNodeName(pending) ? pending : null;
  const interrupt = interrupts.find((i) => i.value !== undefined)?.value as ApprovalRequest | undefined;
  const view: RunView = { ref, next, state: toRunStateValue(state), status: deriveStatus(next, state, interrupt !== undefined) };
  if (interrupt !== undefined) view.interrupt = interrupt;
  return view;
}

/** What the stream's `checkpoints` mode emits for each checkpoint the invoke loads or saves (the parts read here). */
interface CheckpointEvent {
  values: RunState;
  next: string[];
  tasks: Array<{ interrupts: Interrupt[] }>;
}

/**
 * Runs one invoke and returns the run as it left it, from the invoke's own stream instead of
 * reading the checkpoint back: the last checkpoint it loaded or saved (values, pending node, the
 * interrupts stored on it) and an interrupt the node raised after it (`approve` parks with one,
 * without saving a checkpoint). `durability: "sync"` has stored all of it when the stream ends.
 */
async function invokeToView(graph: RunGraph, ref: RunRef, input: Parameters<RunGraph["stream"]>[0], opts: StepOptions): Promise<RunView> {
  let last: CheckpointEvent | undefined;
  let raised: Interrupt[] = [];
  const stream = await graph.stream(input, { ...invokeConfig(ref, opts), streamMode: ["checkpoints", "updates"] });
  for await (const [mode, payload] of stream as AsyncIterable<[string, unknown]>) {
    if (mode === "checkpoints") {
      last = payload as CheckpointEvent;
      raised = [];
    } else {
      const update = payload as { __interrupt__?: Interrupt[] };
      if (update.__interrupt__) raised.push(...update.__interrupt__);
    }
  }
  const view = last && viewOf(ref, last.values, last.next, [...last.tasks.flatMap((t) => t.interrupts), ...raised]);
  return view ?? readExisting(graph, ref);
}

/** The run a step or resume acts on: settled, so a step a stopped process left half-written counts as done. */
async function readExisting(graph: RunGraph, ref: RunRef): Promise<RunView> {
  const run = await readRun(graph, ref, { settle: true });
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
  const usage = ran === "generate" ? currentAttempt(run.state)?.usage : undefined;
  if (usage) result.usage = usage;
  return result;
}

function notPending(ref: RunRef, wanted: string, run: RunView): PyfleetError {
  const actual = run.interrupt ? "approve (awaiting a decision)" : (run.next ?? "nothing (run finished)");
  return new PyfleetError("STEP_NOT_PENDING", `run on thread ${ref.threadId}: ${wanted} is not pending; pending is ${actual}`, {
    details: { expected: wanted, next: run.next, status: run.status },
  });
}

async function startRun(graph: RunGraph, fast: FastSteps | undefined, deps: PipelineDeps, input: StartRunInput) {
  const ref = refForInput(input, input.request);
  // a thread without a checkpoint has no run: the fast path writes the first checkpoint itself
  const isNew = (await fast?.isNewThread(graphConfig(ref))) ?? false;
  const existing = isNew ? null : await readRun(graph, ref);
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
  // The initial state as START's own output: one checkpoint (step 0, the first node pending) in
  // one write. `invoke(initial)` stored an input checkpoint, START's task writes and the
  // checkpoint after START (three writes, each value serialised twice) to reach the same state.
  if (fast && isNew) await fast.start(graphConfig(ref), initial, firstNode);
  else await graph.updateState(graphConfig(ref), initial, START);
  const next = firstNode({ request: input.request });
  return { ref, next, status: runningStatus(next) };
}

async function step(graph: RunGraph, fast: FastSteps | undefined, ref: RunRef, opts: StepOptions): Promise<StepResult> {
  const plan = await fast?.plan(graphConfig(ref), opts.expected);
  if (fast && plan) {
    await opts.onStart?.();
    const after = await fast.run(graphConfig(ref), plan, opts);
    return stepResult(plan.node as NodeName, viewOf(ref, after.values, after.next, []) as RunView);
  }
  const before = await readExisting(graph, ref);
  if (opts.expected !== undefined && (before.next !== opts.expected || before.interrupt)) {
    throw notPending(ref, opts.expected, before);
  }
  if (before.interrupt) throw notPending(ref, "a step", before);
  if (before.next === null) return stepResult(null, before);
  await opts.onStart?.();
  return stepResult(before.next, await invokeToView(graph, ref, null, opts));
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
  return stepResult("approve", await invokeToView(graph, ref, new Command({ resume: parsed.data }), opts));
}
