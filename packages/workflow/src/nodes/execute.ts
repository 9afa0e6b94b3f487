/**
 * `execute`: runs the current attempt on the executor of its mode. Write-mode code (and any
 * code a human had to approve) runs only with a verified signed decision and, in write mode,
 * at most once (ARCHITECTURE §6). A user-code error is data that routes back to `generate`; a
 * policy violation ends the run; infrastructure failures are thrown so that the stage job retries
 * this node on the same code.
 */
import {
  type Attempt,
  codeHash,
  ERROR_CODES,
  type ErrorCode,
  type ExecutionErrorInfo,
  type ExecutionMode,
  type ExecutionOutcome,
  isPyfleetError,
  type Logger,
  PyfleetError,
  manifestHash,
  type RunFolder,
  type SignedDecision,
  TIMEOUT_ENAME,
  type WritePolicy,
  writePolicyFor,
} from "@pyfleet/core";
import { errorEntry } from "../error-chain.js";
import { DEFAULT_WRITE_SAFETY, type PipelineDeps } from "../pipeline-types.js";
import { currentAttempt, patchCurrentAttempt, type RunState, type RunUpdate } from "../state.js";
import { emitDetached, ensureFolder, nodeLogger, type RunNode } from "./context.js";
import { failAttempt } from "./fail-attempt.js";

export function createExecuteNode(deps: PipelineDeps): RunNode {
  return async (state, config) => {
    const attempt = currentAttempt(state);
    if (!attempt?.analysis || attempt.code === "") {
      throw new PyfleetError("INTERNAL", `run ${state.runId} reached execute without analysed code`);
    }
    const mode = attempt.analysis.execution_mode;
    const log = nodeLogger(deps, state, "execute", attempt.number);
    // Hash the code that is about to run rather than trust the hash stored beside it: code edited
    // in the checkpoint after analysis and approval must not run under a decision for other code.
    const hash = codeHash(attempt.code);
    const checked = await checkApproval(deps, state, attempt, mode, hash);
    if ("refused" in checked) return checked.refused;
    const writePolicy = policyFor(deps, attempt, mode, checked.decision);
    if (mode === "write_access") {
      const marker = await deps.executionGuard.begin({ runId: state.runId, attempt: attempt.number, codeHash: hash });
      if (marker === "already_started") return outcomeUnknown(deps, state, attempt);
    }
    const folder = await ensureFolder(deps, state);
    const workDir = await deps.artifacts.attemptDir(folder, attempt.number);
    let outcome: ExecutionOutcome;
    try {
      outcome = await deps.executors.get(state.executionMethod, mode).execute({
        runId: state.runId,
        attempt: attempt.number,
        code: attempt.code,
        mode,
        context: state.request.capability_context_data ?? null,
        workDir,
        timeoutMs: deps.executionTimeoutMs,
        dryRun: state.request.dry_run ?? false,
        writePolicy,
        ...(config.signal ? { signal: config.signal } : {}),
        onOutput: (stream, text) =>
          emitDetached(deps, log, state, { type: stream, stage: "execute", attempt: attempt.number, data: { text } }),
      });
    } catch (err) {
      if (!isPyfleetError(err) || (err.category !== "code" && err.category !== "policy")) throw err;
      outcome = thrownAsOutcome(err, state.executionMethod);
    }
    if (mode === "write_access") {
      // the truth about the writes goes to the marker and the audit, whatever the code reported
      const result = outcome.error ? "failed" : "succeeded";
      const error = outcome.error ? { code: errorCodeOf(outcome.error), message: `${outcome.error.ename}: ${outcome.error.evalue}` } : null;
      await deps.executionGuard.end({ runId: state.runId, attempt: attempt.number, outcome: result, writes: outcome.performedWrites ?? [], error });
    }
    const attempts = patchCurrentAttempt(state, { outcome });
    const base: RunUpdate = { folderPath: folder.folderPath, attempts };
    if (!outcome.error) {
      log.info({ durationMs: outcome.durationMs }, "executed");
      return { ...base, route: "finalize", ending: { status: "completed", reason: null } };
    }
    return { ...base, ...(await executionFailed(deps, state, folder, { ...attempt, outcome }, outcome.error, log)) };
  };
}

/**
 * Refuses code that is not the analysed code (whatever the mode), then verifies the signed
 * decision when the attempt needed a human or runs in write mode, against `hash`: the hash of the
 * code about to run. A refusal ends the run (never retried, never regenerated) instead of
 * throwing, so it is recorded in the run rather than retried by the stage job.
 */
async function checkApproval(
  deps: PipelineDeps,
  state: RunState,
  attempt: Attempt,
  mode: ExecutionMode,
  hash: string,
): Promise<{ refused: RunUpdate } | { decision: SignedDecision | null }> {
  try {
    if (hash !== attempt.codeHash) {
      throw new PyfleetError(
        "APPROVAL_HASH_MISMATCH",
        `the code to run (sha256 ${hash}) is not the code that was analysed (sha256 ${attempt.codeHash}); it was changed after analysis`,
      );
    }
    if (!state.needsApproval && mode !== "write_access") return { decision: null };
    // Recompute the manifest's hash rather than trust the one stored beside it (as for the code).
    const manifest = attempt.manifest ? manifestHash(attempt.manifest.entries) : null;
    const decision = await deps.approvalVerifier.verify(state.decision, {
      runId: state.runId,
      attempt: attempt.number,
      codeHash: hash,
      mode,
      ...(mode === "write_access" ? { manifestHash: manifest } : {}),
    });
    return { decision };
  } catch (err) {
    if (!isPyfleetError(err) || err.category !== "approval") throw err;
    // Write code never runs unapproved, even when the approval policy did not ask for a human.
    const hint =
      err.code === "APPROVAL_MISSING" && !state.needsApproval
        ? "; write_access code runs only with a signed approval and the approval policy did not ask for one (set execution.modes.write_access.requires_approval: true)"
        : "";
    const entry = errorEntry({
      stage: "execute",
      category: "approval",
      code: err.code,
      message: `${err.message}${hint}`,
      attempt: attempt.number,
      at: deps.clock.now(),
    });
    return { refused: await failAttempt(deps, state, entry, { end: { status: "failed", reason: `approval not valid for this code: ${entry.message}` } }) };
  }
}

/**
 * What the code may write: in write mode only the PVs of the signed decision's manifest (limits
 * from the manifest, whose hash the decision signs); nothing in read-only mode.
 */
function policyFor(deps: PipelineDeps, attempt: Attempt, mode: ExecutionMode, decision: SignedDecision | null): WritePolicy {
  const safety = deps.writeSafety ?? DEFAULT_WRITE_SAFETY;
  const policy = writePolicyFor(attempt.manifest ?? null, { enforceLimits: safety.enforceLimits, connectionTimeoutS: safety.connectionTimeoutS });
  return { ...policy, allowed_pvs: mode === "write_access" ? [...(decision?.writePvs ?? [])] : [] };
}

/** A write attempt whose marker was already set: it may have run, so it must never run again. */
async function outcomeUnknown(deps: PipelineDeps, state: RunState, attempt: Attempt): Promise<RunUpdate> {
  const entry = errorEntry({
    stage: "execute",
    category: "policy",
    code: "OUTCOME_UNKNOWN",
    message: `write execution of attempt ${attempt.number} was already started by an earlier delivery; its outcome is unknown`,
    attempt: attempt.number,
    at: deps.clock.now(),
  });
  return failAttempt(deps, state, entry, { end: { status: "outcome_unknown", reason: entry.message } });
}

/** A code- or policy-category error thrown by a backend, as the outcome the harness would report. */
function thrownAsOutcome(err: PyfleetError, backend: string): ExecutionOutcome {
  return {
    results: null,
    stdout: "",
    stderr: "",
    error: { ename: err.code, evalue: err.message, traceback: "", category: err.category },
    figures: [],
    durationMs: 0,
    recordedWrites: [],
    warnings: [],
    backend,
    stdoutTruncated: false,
  };
}

/** Error code of a reported user-code error; the category was decided by the harness. */
function errorCodeOf(error: ExecutionErrorInfo): ErrorCode {
  const named = error.code;
  if (named !== undefined && named in ERROR_CODES && ERROR_CODES[named as ErrorCode] === error.category) return named as ErrorCode;
  if (error.category === "policy") {
    if (error.ename === "MemoryError" || error.ename === "MEMORY_LIMIT") return "MEMORY_LIMIT";
    return "WRITE_IN_READ_ONLY";
  }
  return error.ename === TIMEOUT_ENAME ? "EXECUTION_TIMEOUT" : "RUNTIME_ERROR";
}

/** Feedback, the failed-attempt notebook and the route after a reported error. */
async function executionFailed(
  deps: PipelineDeps,
  state: RunState,
  folder: RunFolder,
  attempt: Attempt,
  error: ExecutionErrorInfo,
  log: Logger,
): Promise<RunUpdate> {
  if (error.category !== "code" && error.category !== "policy") {
    throw new PyfleetError("INTERNAL", `executor reported a ${error.category} error as a result: ${error.ename}: ${error.evalue}`);
  }
  const entry = errorEntry({
    stage: "execute",
    category: error.category,
    code: errorCodeOf(error),
    message: `${error.ename}: ${error.evalue}`,
    attempt: attempt.number,
    at: deps.clock.now(),
    traceback: error.traceback,
    failedCode: attempt.code,
  });
  const saved = await deps.artifacts.saveAttempt({
    folder,
    request: state.request,
    attempt,
    stage: "execution_failed",
    error: entry,
  });
  const failed = await failAttempt(
    deps,
    state,
    entry,
    error.category === "policy" ? { end: { status: "failed", reason: `policy violation: ${entry.message}` } } : { retry: "execution", what: "execution" },
  );
  log.warn({ code: entry.code, category: error.category }, "execution failed");
  return { attempts: patchCurrentAttempt(state, { outcome: attempt.outcome, notebookPath: saved.notebookPath }), ...failed };
}
