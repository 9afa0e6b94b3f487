/**
 * `finalize`: the one terminal node of every route. Writes the final notebook and results,
 * turns the last attempt's outcome into the public result and publishes `finished`.
 */
import type { ExecutionResult, FinalResult } from "@pyfleet/core";
import { lastErrorMessage } from "../error-chain.js";
import type { PipelineDeps } from "../pipeline-types.js";
import { currentAttempt } from "../state.js";
import { emitEvent, ensureFolder, nodeLogger, type RunNode } from "./context.js";

export function createFinalizeNode(deps: PipelineDeps): RunNode {
  return async (state) => {
    const attempt = currentAttempt(state) ?? null;
    const log = nodeLogger(deps, state, "finalize", attempt?.number ?? 0);
    const status = state.ending?.status ?? "failed";
    const folder = await ensureFolder(deps, state);
    const saved = await deps.artifacts.saveFinal({
      folder,
      request: state.request,
      attempt,
      status,
      errorChain: state.errorChain,
    });
    const outcome = attempt?.outcome;
    const result: ExecutionResult | null = outcome
      ? {
          results: outcome.results ?? {},
          stdout: outcome.stdout,
          stderr: outcome.stderr,
          execution_time: outcome.durationMs / 1000,
          folder_path: folder.folderPath,
          notebook_path: saved.notebookPath,
          notebook_link: saved.notebookLink,
          figure_paths: saved.figurePaths,
          recorded_writes: outcome.recordedWrites,
          ...(outcome.performedWrites?.length ? { writes: outcome.performedWrites } : {}),
          ...(outcome.error ? { error: outcome.error } : {}),
        }
      : null;
    const final: FinalResult = {
      status,
      result,
      code: attempt && attempt.code !== "" ? attempt.code : null,
      attempts: state.attempts.length,
      reason: status === "completed" ? null : (state.ending?.reason ?? lastErrorMessage(state.errorChain)),
    };
    await emitEvent(deps, state, {
      type: "finished",
      stage: "finalize",
      ...(attempt ? { attempt: attempt.number } : {}),
      data: { status, reason: final.reason, notebookPath: saved.notebookPath, resultsPath: saved.resultsPath },
    });
    log.info({ status, attempts: final.attempts, notebookPath: saved.notebookPath }, "results saved");
    return { folderPath: folder.folderPath, final, route: null };
  };
}
