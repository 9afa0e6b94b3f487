/**
 * `analyze`: static analysis plus approval policy of the current attempt. A failed analysis is
 * feedback for the next generation; a passed one decides the mode and whether a human must
 * approve (then the pre-approval notebook is saved and the approval payload prepared here, so
 * `approve` itself only interrupts).
 */
import { type AnalysisResult, type Attempt, PyfleetError } from "@pyfleet/core";
import { errorEntry } from "../error-chain.js";
import type { PipelineDeps } from "../pipeline-types.js";
import { currentAttempt, patchCurrentAttempt, type RunState, type RunUpdate } from "../state.js";
import { buildApprovalRequest } from "./approval-request.js";
import { emitEvent, ensureFolder, nodeLogger, type RunNode } from "./context.js";
import { failAttempt } from "./fail-attempt.js";

export function createAnalyzeNode(deps: PipelineDeps): RunNode {
  return async (state) => {
    const attempt = currentAttempt(state);
    if (!attempt || attempt.code === "") {
      throw new PyfleetError("INTERNAL", `run ${state.runId} reached analyze without code`);
    }
    const log = nodeLogger(deps, state, "analyze", attempt.number);
    const folder = await ensureFolder(deps, state);
    const analysis = await deps.analyzer.analyze({ code: attempt.code, expectedResults: state.request.expected_results });
    const analysed: Attempt = { ...attempt, analysis };
    await emitEvent(deps, state, {
      type: "analysis",
      stage: "analyze",
      attempt: attempt.number,
      data: {
        passed: analysis.passed,
        severity: analysis.severity,
        executionMode: analysis.execution_mode,
        needsApproval: analysis.needs_approval,
        findings: analysis.findings.length,
      },
    });
    log.info({ passed: analysis.passed, mode: analysis.execution_mode, needsApproval: analysis.needs_approval }, "analysed");
    const base: RunUpdate = { folderPath: folder.folderPath, attempts: patchCurrentAttempt(state, { analysis }) };
    if (!analysis.passed) return { ...base, ...(await analysisFailed(deps, state, analysed, folder.folderPath)) };
    if (!analysis.needs_approval) {
      return { ...base, needsApproval: false, approvalRequest: null, decision: null, route: "execute" };
    }
    if (analysis.execution_mode === "write_access") {
      // a write run is shown to a human only with its manifest: the dry run comes first
      return { ...base, needsApproval: true, approvalRequest: null, decision: null, route: "preview" };
    }
    const saved = await deps.artifacts.saveAttempt({
      folder,
      request: state.request,
      attempt: analysed,
      stage: "awaiting_approval",
    });
    const approvalRequest = buildApprovalRequest({
      runId: state.runId,
      threadId: state.threadId,
      request: state.request,
      attempt: analysed,
      analysis,
      kernelName: deps.executors.kernelName(analysis.execution_mode),
      saved,
    });
    return {
      ...base,
      attempts: patchCurrentAttempt(state, { analysis, notebookPath: saved.notebookPath }),
      needsApproval: true,
      approvalRequest,
      decision: null,
      route: "approve",
    };
  };
}

/** True when the analyzer reported a parse failure rather than a rule violation. */
function isSyntaxFailure(analysis: AnalysisResult): boolean {
  return analysis.findings.some((f) => f.level === "block" && f.rule.startsWith("syntax"));
}

/** Feedback, the failed-attempt notebook and the route after a failed analysis. */
async function analysisFailed(deps: PipelineDeps, state: RunState, attempt: Attempt, folderPath: string): Promise<RunUpdate> {
  const analysis = attempt.analysis as AnalysisResult;
  const syntax = isSyntaxFailure(analysis);
  const blocking = analysis.findings.filter((f) => f.level === "block");
  const summary = blocking.map((f) => `line ${f.line}: ${f.message}`).join("; ");
  const entry = errorEntry({
    stage: "analyze",
    category: "code",
    code: syntax ? "SYNTAX_ERROR" : "ANALYSIS_BLOCKED",
    message: `${syntax ? "syntax error" : "static analysis failed"}${summary ? `: ${summary}` : ""}`,
    attempt: attempt.number,
    at: deps.clock.now(),
    findings: analysis.findings,
    failedCode: attempt.code,
  });
  const saved = await deps.artifacts.saveAttempt({
    folder: { folderPath },
    request: state.request,
    attempt,
    stage: syntax ? "syntax_error" : "static_analysis_failed",
    error: entry,
  });
  return {
    attempts: patchCurrentAttempt(state, { analysis, notebookPath: saved.notebookPath }),
    needsApproval: false,
    approvalRequest: null,
    decision: null,
    ...(await failAttempt(deps, state, entry, { retry: "generation", what: "analysis" })),
  };
}
