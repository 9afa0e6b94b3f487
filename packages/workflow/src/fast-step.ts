/**
 * The pipeline's steps of nodes that cannot interrupt, run without LangGraph's invoke.
 *
 * LangGraph's per-step machinery (task preparation three times, config merging per runnable,
 * three web streams per `stream()`, a `GraphInterrupt` per step, the `getState` snapshot before
 * it) cost ~1.5 ms of CPU per step after the checkpoint read ("Session 8 (hop)",
 * docs/performance.md). A plain step here reads the latest checkpoint once, runs the node the
 * graph registers (the same function, with `logged` and `changedOnly`), and stores exactly what
 * LangGraph stores, in the same order and with the same durability: the task's writes under
 * LangGraph's task id, then the checkpoint after the step, awaited. So the checkpoints are
 * LangGraph's: LangGraph's `getState`, `invoke` and the half-applied settle read and continue a
 * thread stepped here (a process stopped between the writes and the checkpoint leaves writes
 * that the settle applies without running the node again), and this path continues a thread
 * LangGraph stepped. Anything that is not a plain step (`approve`, which interrupts; pending or
 * error writes; a finished run; a node other than the expected one) is left to LangGraph.
 */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { CheckpointTuple, PendingWrite } from "@langchain/langgraph-checkpoint";
import {
  applyStep,
  ERROR_WRITE,
  NO_WRITES,
  planStart,
  planStep,
  type StepGraphShape,
  type StepPlan,
  stateAfter,
  stepGraphShape,
} from "./checkpoint-step.js";
import { type RunGraph, routeOf, TARGETS } from "./graph.js";
import type { RunNode } from "./nodes/context.js";
import { tracerConfigured } from "./light-run-context.js";
import type { NodeName, StepOptions } from "./pipeline-types.js";
import type { RunState, RunUpdate } from "./state.js";
import { RunStateAnnotation } from "./state.js";
import type { StepReadSaver } from "./step-read-saver.js";

/** The nodes a plain step may run: `approve` interrupts, so LangGraph runs it. */
const FAST_NODES: ReadonlySet<string> = new Set<NodeName>(["generate", "analyze", "preview", "execute", "finalize"]);

/** What LangGraph's branch writer throws for a route outside the edge's targets. */
const UNKNOWN_DESTINATION = "Branch condition returned unknown or null destination";

/** What a fast step left: the new checkpoint's state and the node it waits for. */
export interface FastStepResult {
  values: RunState;
  next: string[];
}

type LangGraphConfig = { configurable: { thread_id: string; checkpoint_ns: string } };

/** The pipeline's starts and plain steps without LangGraph's invoke (see the file comment), over the graph's own channels and node functions. */
export class FastSteps {
  private constructor(
    private readonly shape: StepGraphShape,
    private readonly nodes: Readonly<Record<NodeName, RunNode>>,
    private readonly saver: StepReadSaver,
  ) {}

  /** Fast steps for `graph`, or undefined when its channels are not all ones {@link applyStep} reproduces. */
  static for(graph: RunGraph, nodes: Readonly<Record<NodeName, RunNode>>, saver: StepReadSaver): FastSteps | undefined {
    const shape = stepGraphShape(graph as unknown as Parameters<typeof stepGraphShape>[0], Object.keys(RunStateAnnotation.spec));
    return shape && new FastSteps(shape, nodes, saver);
  }

  /**
   * Whether the thread has no checkpoint, so {@link start} may write its first one (read once:
   * when it has one, the pipeline's LangGraph path reuses this read). False with tracing configured.
   */
  async isNewThread(config: LangGraphConfig): Promise<boolean> {
    if (tracerConfigured()) return false;
    return (await this.saver.peek(config)) === undefined;
  }

  /**
   * Stores a new run's first checkpoint as LangGraph's `updateState(config, initial, START)`
   * stores it on a thread without one: one `put` of START's writes (the initial values, then
   * START's route to `route(state)`) at step 0 with `update` metadata.
   */
  async start(config: LangGraphConfig, initial: RunUpdate, route: (state: RunState) => NodeName): Promise<void> {
    const plan = planStart(this.shape);
    const writes: PendingWrite[] = Object.entries(initial).filter(([key]) => this.shape.stateKeySet.has(key));
    writes.push([`branch:to:${route(stateAfter(this.shape, plan, writes) as RunState)}`, plan.node]);
    const outcome = applyStep(this.shape, plan, writes, (current) => this.saver.getNextVersion(current), "update");
    await this.saver.put(config, outcome.checkpoint, outcome.metadata, outcome.newVersions);
  }

  /**
   * The plain step the run's latest checkpoint waits for, or undefined (LangGraph's path then
   * reuses this read: see {@link StepReadSaver.peek}). `expected` must be the pending node.
   * With LangChain tracing configured every step is LangGraph's, so that its runs are traced.
   */
  async plan(config: LangGraphConfig, expected: NodeName | undefined): Promise<StepPlan | undefined> {
    if (tracerConfigured()) return undefined;
    const tuple: CheckpointTuple | undefined = await this.saver.peek(config);
    if (tuple === undefined) return undefined;
    const plan = planStep(this.shape, tuple);
    if (plan === undefined || !FAST_NODES.has(plan.node) || plan.state.runId === undefined) return undefined;
    if (expected !== undefined && plan.node !== expected) return undefined;
    return plan;
  }

  /**
   * Runs the plan's node and stores its step: the task's writes, then the checkpoint after it.
   * A node that throws (or routes nowhere) stores LangGraph's error write and rethrows, leaving
   * the run at the same node; an abort rejects with LangGraph's `Error("Abort")` and stores
   * nothing (the node is left to see the signal).
   */
  async run(config: LangGraphConfig, plan: StepPlan, opts: StepOptions): Promise<FastStepResult> {
    const node = plan.node as NodeName;
    const at = { configurable: { ...config.configurable, checkpoint_id: plan.tuple.checkpoint.id } };
    let writes: PendingWrite[];
    try {
      writes = await this.writesOf(node, plan, opts.signal);
    } catch (err) {
      if (!(err instanceof AbortedStep)) await this.storeError(at, plan, err);
      throw err;
    }
    await this.saver.putWrites(at, writes, plan.taskId, plan.taskPath);
    const outcome = applyStep(this.shape, plan, writes, (current) => this.saver.getNextVersion(current));
    await this.saver.put(at, outcome.checkpoint, outcome.metadata, outcome.newVersions);
    return { values: outcome.values as RunState, next: outcome.next };
  }

  /** The node's update as LangGraph's writers store it: the state fields it returned, then its conditional edge's branch. */
  private async writesOf(node: NodeName, plan: StepPlan, signal: AbortSignal | undefined): Promise<PendingWrite[]> {
    // LangGraph's runner starts no task once the step's signal has aborted
    if (signal?.aborted) throw new AbortedStep();
    const config: LangGraphRunnableConfig = signal ? { signal } : {};
    const update = await untilAborted(this.nodes[node](plan.state as RunState, config), signal);
    const writes: PendingWrite[] = Object.entries(update).filter(([key]) => this.shape.stateKeySet.has(key));
    const targets = (TARGETS as Partial<Record<NodeName, readonly string[]>>)[node];
    if (targets !== undefined) {
      const destination = routeOf(node)(stateAfter(this.shape, plan, writes) as RunState);
      if (!targets.includes(destination)) throw new Error(UNKNOWN_DESTINATION);
      writes.push([`branch:to:${destination}`, node]);
    }
    return writes.length > 0 ? writes : [[NO_WRITES, null]];
  }

  /** LangGraph's record of a failed task: the error's message and name, under the task's id. */
  private async storeError(at: LangGraphConfig, plan: StepPlan, err: unknown): Promise<void> {
    const { message, name } = (err ?? {}) as { message?: unknown; name?: unknown };
    try {
      await this.saver.putWrites(at, [[ERROR_WRITE, { message, name }]], plan.taskId, plan.taskPath);
    } catch {
      // as in LangGraph: the node's error is the one the step reports
    }
  }
}

/** LangGraph's `Error("Abort")` of an aborted step (a subclass only so the fast path can tell it from a node's error). */
class AbortedStep extends Error {
  constructor() {
    super("Abort");
    this.name = "Error";
  }
}

/**
 * `running`, or LangGraph's abort error as soon as `signal` aborts while the node runs (the node
 * is not awaited then, as in LangGraph's runner; its own outcome is dropped).
 */
function untilAborted<T>(running: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return running;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedStep());
    signal.addEventListener("abort", onAbort, { once: true });
    running.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
