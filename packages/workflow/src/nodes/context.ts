/** Small helpers every node shares: the run folder, events and the per-node logger. */
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { type Logger, type RunEventType, type RunFolder, runLogger, type Stage } from "@pyfleet/core";
import type { PipelineDeps } from "../pipeline-types.js";
import type { RunState, RunUpdate } from "../state.js";

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
