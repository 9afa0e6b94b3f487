/** Small helpers every node shares: the run folder, events and the per-node logger. */
import { isGraphInterrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { type Logger, type RunEventType, type RunFolder, runLogger, type Stage } from "@pyfleet/core";
import type { PipelineDeps } from "../pipeline-types.js";
import { changedOnly, type RunState, type RunUpdate } from "../state.js";

/** A graph node: reads the state, returns the fields it changes. */
export type RunNode = (state: RunState, config: LangGraphRunnableConfig) => Promise<RunUpdate>;

/**
 * The run folder, created by the first node that needs one (`initRun` is idempotent, so a
 * node retried after a crash may call it again). `folderPath` goes into the returned update.
 */
export async function ensureFolder(deps: PipelineDeps, state: RunState): Promise<RunFolder> {
  if (state.folderPath !== null) return { folderPath: state.folderPath };
  return deps.artifacts.initRun({
    runId: state.runId,
    request: state.request,
    createdAt: deps.clock.now().toISOString(),
  });
}

/** Publishes one run event (awaited: a broken event sink is an infrastructure failure). */
export async function emitEvent(
  deps: PipelineDeps,
  state: RunState,
  event: { type: RunEventType; stage: Stage; attempt?: number; data: Record<string, unknown> },
): Promise<void> {
  await deps.events.emit({ runId: state.runId, at: deps.clock.now().toISOString(), ...event });
}

/**
 * Publishes an event from a synchronous callback (token and output streams). A failed emit is
 * logged, not thrown: losing one progress chunk must not abort generation or execution.
 */
export function emitDetached(
  deps: PipelineDeps,
  log: Logger,
  state: RunState,
  event: { type: RunEventType; stage: Stage; attempt: number; data: Record<string, unknown> },
): void {
  Promise.resolve()
    .then(() => emitEvent(deps, state, event))
    .catch((err: unknown) => log.warn({ err, type: event.type }, "run event could not be published"));
}

/** Logger bound to run, stage and attempt. */
export function nodeLogger(deps: PipelineDeps, state: RunState, stage: Stage, attempt: number): Logger {
  return runLogger(deps.logger, { runId: state.runId, stage, attempt });
}

/**
 * Wraps a node so every run of it logs `stage started` and `stage finished` (duration, outcome)
 * at info level, bound to run, stage and attempt (generate opens the next attempt), and returns
 * only the fields the node changed ({@link changedOnly}).
 */
export function logged(deps: PipelineDeps, stage: Stage, node: RunNode): RunNode {
  return async (state, config) => {
    const attempt = stage === "generate" ? state.attempts.length + 1 : (state.attempts.at(-1)?.number ?? 0);
    const log = nodeLogger(deps, state, stage, attempt);
    log.info("stage started");
    const t0 = performance.now();
    let outcome = "error";
    try {
      const update = await node(state, config);
      outcome = "ok";
      return changedOnly(state, update);
    } catch (err) {
      // approve parks by throwing LangGraph's interrupt: that is a pause, not a failure
      if (isGraphInterrupt(err)) outcome = "interrupted";
      throw err;
    } finally {
      log.info({ durationMs: Math.round(performance.now() - t0), outcome }, "stage finished");
    }
  };
}
