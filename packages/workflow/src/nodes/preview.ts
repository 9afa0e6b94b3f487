/**
 * `preview`: the dry run of a write run before a human sees it (ARCHITECTURE §9, write manifest).
 * The code runs once on the read-only kernel of the run's backend with writes recorded, not
 * performed (same sandbox, same timeout), and the harness reads every recorded PV's current value,
 * units and limits. The result is the write manifest the approval carries and the decision signs.
 *
 * Routes: a failed dry run goes back to generation as feedback (it is never parked); a proposal
 * outside a PV's limits is an analysis error fed back to generation (`refuseOutOfLimits`); a
 * policy error (e.g. a backend that cannot reach the control system) ends the run; otherwise the
 * approval request is prepared and the run moves to `approve`.
 *
 * Step mode: the node is owned by the read-only executors' queue (`execute.read_only`), which have
 * the read-only kernel and Channel Access reads; infrastructure errors are thrown so that the stage
 * job retries the dry run (it performs no writes, so a retry is harmless).
 */
import {
  type AnalysisResult,
  type Attempt,
  buildManifest,
  ERROR_CODES,
  type ErrorCode,
  type ExecutionOutcome,
  formatManifestRow,
  isPyfleetError,
  PyfleetError,
  type WriteManifest,
} from "@pyfleet/core";
import { errorEntry } from "../error-chain.js";
import { DEFAULT_WRITE_SAFETY, type PipelineDeps } from "../pipeline-types.js";
import { currentAttempt, patchCurrentAttempt, type RunState, type RunUpdate } from "../state.js";
import { buildApprovalRequest } from "./approval-request.js";
import { emitEvent, ensureFolder, nodeLogger, type RunNode } from "./context.js";
import { failAttempt } from "./fail-attempt.js";

export function createPreviewNode(deps: PipelineDeps): RunNode {
  const safety = deps.writeSafety ?? DEFAULT_WRITE_SAFETY;
  return async (state, config) => {
    const attempt = currentAttempt(state);
    if (!attempt?.analysis || attempt.code === "") {
      throw new PyfleetError("INTERNAL", `run ${state.runId} reached preview without analysed code`);
    }
    const analysis = attempt.analysis;
    const log = nodeLogger(deps, state, "preview", attempt.number);
    const folder = await ensureFolder(deps, state);
    // its own folder: files the dry run leaves must not be seen by the real run
    const workDir = `${await deps.artifacts.attemptDir(folder, attempt.number)}/dry-run`;
    let outcome: ExecutionOutcome;
    try {
      outcome = await deps.executors.get(state.executionMethod, "read_only").execute({
        runId: state.runId,
        attempt: attempt.number,
        code: attempt.code,
        mode: "read_only",
        context: state.request.capability_context_data ?? null,
        workDir,
        timeoutMs: deps.executionTimeoutMs,
        dryRun: true,
        describeWrites: true,
        writePolicy: { allowed_pvs: [], limits: {}, enforce_limits: true, connection_timeout_s: safety.connectionTimeoutS },
        ...(config.signal ? { signal: config.signal } : {}),
      });
    } catch (err) {
      if (!isPyfleetError(err) || (err.category !== "code" && err.category !== "policy")) throw err;
      if (err.category === "policy") return ended(deps, state, attempt, err.code, `dry run refused: ${err.message}`);
      return feedback(deps, state, attempt, { code: "DRY_RUN_FAILED", message: `the dry run failed (nothing was written): ${err.message}`, budget: "execution" });
    }
    if (outcome.error) {
      const { ename, evalue } = outcome.error;
      if (outcome.error.category === "policy") {
        return ended(deps, state, attempt, policyCode(outcome.error.code), `dry run: ${ename}: ${evalue}`);
      }
      return feedback(deps, state, { ...attempt, outcome }, {
        code: "DRY_RUN_FAILED",
        message: `the dry run that builds the write manifest failed (nothing was written): ${ename}: ${evalue}`,
        traceback: outcome.error.traceback,
        budget: "execution",
      });
    }
    const manifest = buildManifest({
      recorded: outcome.recordedWrites,
      targets: outcome.writeTargets ?? [],
      builtAt: deps.clock.now().toISOString(),
      backend: outcome.backend,
      dryRunMs: outcome.durationMs,
    });
    await emitEvent(deps, state, {
      type: "analysis",
      stage: "preview",
      attempt: attempt.number,
      data: { manifest: manifest.entries.map((e) => formatManifestRow(e)), pvs: manifest.pvs, hash: manifest.hash },
    });
    log.info({ pvs: manifest.pvs, outOfLimits: manifest.entries.filter((e) => e.outOfLimits).length }, "write manifest built");
    const outside = manifest.entries.filter((e) => e.outOfLimits);
    if (outside.length > 0 && safety.refuseOutOfLimits) {
      return feedback(deps, state, { ...attempt, manifest }, {
        code: "MANIFEST_OUT_OF_LIMITS",
        message: `the code proposes values outside the PVs' limits (refused before approval): ${outside.map((e) => formatManifestRow(e)).join("; ")}`,
        budget: "generation",
      });
    }
    return readyForApproval(deps, state, { ...attempt, manifest }, analysis, manifest, folder.folderPath);
  };
}

async function readyForApproval(
  deps: PipelineDeps,
  state: RunState,
  attempt: Attempt,
  analysis: AnalysisResult,
  manifest: WriteManifest,
  folderPath: string,
): Promise<RunUpdate> {
  const saved = await deps.artifacts.saveAttempt({ folder: { folderPath }, request: state.request, attempt, stage: "awaiting_approval" });
  const approvalRequest = buildApprovalRequest({
    runId: state.runId,
    threadId: state.threadId,
    request: state.request,
    attempt,
    analysis,
    kernelName: deps.executors.kernelName(analysis.execution_mode),
    saved,
    manifest,
  });
  return {
    folderPath,
    attempts: patchCurrentAttempt(state, { manifest, notebookPath: saved.notebookPath }),
    needsApproval: true,
    approvalRequest,
    decision: null,
    route: "approve",
  };
}

/** A dry run that failed or proposed out-of-limit values: feedback for the next generation. */
async function feedback(
  deps: PipelineDeps,
  state: RunState,
  attempt: Attempt,
  f: { code: "DRY_RUN_FAILED" | "MANIFEST_OUT_OF_LIMITS"; message: string; traceback?: string; budget: "generation" | "execution" },
): Promise<RunUpdate> {
  const entry = errorEntry({
    stage: "preview",
    category: "code",
    code: f.code,
    message: f.message,
    attempt: attempt.number,
    at: deps.clock.now(),
    ...(f.traceback ? { traceback: f.traceback } : {}),
    failedCode: attempt.code,
  });
  const folder = await ensureFolder(deps, state);
  const saved = await deps.artifacts.saveAttempt({
    folder,
    request: state.request,
    attempt,
    stage: f.code === "DRY_RUN_FAILED" ? "execution_failed" : "static_analysis_failed",
    error: entry,
  });
  return {
    folderPath: folder.folderPath,
    attempts: patchCurrentAttempt(state, { ...attempt, notebookPath: saved.notebookPath }),
    needsApproval: false,
    approvalRequest: null,
    decision: null,
    ...(await failAttempt(deps, state, entry, { retry: f.budget, what: "write preview" })),
  };
}

/** The error code of a policy error the harness reported (a known policy code, else WRITE_IN_READ_ONLY). */
function policyCode(code: string | undefined): ErrorCode {
  return code !== undefined && code in ERROR_CODES && ERROR_CODES[code as ErrorCode] === "policy" ? (code as ErrorCode) : "WRITE_IN_READ_ONLY";
}

/** A policy refusal of the dry run: the run ends (never retried, never regenerated). */
async function ended(deps: PipelineDeps, state: RunState, attempt: Attempt, code: ErrorCode, message: string): Promise<RunUpdate> {
  const entry = errorEntry({ stage: "preview", category: ERROR_CODES[code], code, message, attempt: attempt.number, at: deps.clock.now() });
  return {
    needsApproval: false,
    approvalRequest: null,
    decision: null,
    ...(await failAttempt(deps, state, entry, { end: { status: "failed", reason: `policy violation: ${message}` } })),
  };
}
