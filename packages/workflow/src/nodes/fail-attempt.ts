/**
 * The tail every failing node shares: the error event, the entry appended to the error chain,
 * the failure counted against its budget, and the route (back to `generate`, or `finalize`).
 */
import type { ErrorChainEntry } from "@pyfleet/core";
import { effectiveBudgets, withinBudget } from "../budgets.js";
import type { PipelineDeps, RunEnding } from "../pipeline-types.js";
import type { RunState, RunUpdate } from "../state.js";
import { emitEvent } from "./context.js";

/** The budget a failure counts against: generation (and analysis, preview, rejection) or execution. */
type Budget = "generation" | "execution";

/** What a failed attempt does next. */
export type AfterFailure =
  /** Back to `generate` while the budget allows, then the run fails: "<what> failed after N attempt(s): <message>". */
  | { retry: Budget; what: string }
  /** Back to `generate` while the budget allows, then the run ends as given. */
  | { retry: Budget; otherwise: RunEnding }
  /** The run ends now (never retried, never regenerated). */
  | { end: RunEnding };

/** Publishes the failure as an `error` event, then {@link routeFailure}. */
export async function failAttempt(deps: PipelineDeps, state: RunState, entry: ErrorChainEntry, after: AfterFailure): Promise<RunUpdate> {
  await emitEvent(deps, state, { type: "error", stage: entry.stage, attempt: entry.attempt, data: { ...entry } });
  return routeFailure(deps, state, entry, after);
}

/** Appends `entry` to the error chain, counts it against its budget and routes (no event). */
export function routeFailure(deps: PipelineDeps, state: RunState, entry: ErrorChainEntry, after: AfterFailure): RunUpdate {
  const errorChain = [...state.errorChain, entry];
  if ("end" in after) return { errorChain, route: "finalize", ending: after.end };
  const budgets = effectiveBudgets(deps.budgets, state.request);
  const generation = after.retry === "generation";
  const failures = (generation ? state.generationFailures : state.executionFailures) + 1;
  const retry = withinBudget(failures, generation ? budgets.maxGenerationRetries : budgets.maxExecutionRetries);
  const ending: RunEnding =
    "what" in after ? { status: "failed", reason: `${after.what} failed after ${failures} attempt(s): ${entry.message}` } : after.otherwise;
  return {
    errorChain,
    ...(generation ? { generationFailures: failures } : { executionFailures: failures }),
    route: retry ? "generate" : "finalize",
    ending: retry ? null : ending,
  };
}
