/** Builds the JSON payload `approve` hands to `interrupt()` (the approval record's content). */
import {
  type AnalysisResult,
  type ApprovalRequest,
  type Attempt,
  formatManifestRow,
  type PythonExecutionRequest,
  type SavedAttempt,
  type WriteManifest,
} from "@pyfleet/core";

export interface ApprovalRequestInput {
  runId: string;
  threadId: string;
  request: PythonExecutionRequest;
  attempt: Attempt;
  analysis: AnalysisResult;
  kernelName: string;
  saved: SavedAttempt;
  /** Write runs: the manifest of the dry run. */
  manifest?: WriteManifest;
}

/** The approval payload, bound to the attempt, its code hash, mode and kernel. */
export function buildApprovalRequest(input: ApprovalRequestInput): ApprovalRequest {
  const { analysis, attempt, request } = input;
  const reasoning = analysis.reasoning || `Python code requires human approval for ${analysis.execution_mode} mode`;
  return {
    approval_type: "python_executor",
    runId: input.runId,
    threadId: input.threadId,
    attempt: attempt.number,
    codeHash: attempt.codeHash,
    code: attempt.code,
    executionMode: analysis.execution_mode,
    kernelName: input.kernelName,
    task: request.task_objective,
    userQuery: request.user_query,
    reasoning,
    findings: analysis.findings,
    pvWrites: analysis.pv_writes,
    notebookPath: input.saved.notebookPath,
    notebookLink: input.saved.notebookLink,
    requester: request.requester ?? "unknown",
    expectedResults: request.expected_results,
    user_message: approvalMessage(input, reasoning),
    ...(input.manifest ? { manifest: input.manifest } : {}),
  };
}

/** Markdown shown to the approver, modelled on the original's "HUMAN APPROVAL REQUIRED" banner. */
function approvalMessage(input: ApprovalRequestInput, reasoning: string): string {
  const { analysis, attempt } = input;
  const writes = input.manifest
    ? input.manifest.entries.map((e) => `- \`${formatManifestRow(e)}\``)
    : analysis.pv_writes.map((w) => `- \`${w.pv ?? "(dynamic PV name)"}\` via ${w.api} (line ${w.line})`);
  const writesTitle = input.manifest ? "**Write manifest (dry run: current → proposed):**" : "**Control-system writes:**";
  const review = input.saved.notebookLink
    ? `**Review Code:** [Open Jupyter Notebook](${input.saved.notebookLink})`
    : `**Review Code:** the code is in the approval record (notebook: \`${input.saved.notebookPath}\`)`;
  return [
    "---",
    "⚠️ **HUMAN APPROVAL REQUIRED** ⚠️",
    "",
    `**Task:** ${input.request.task_objective}`,
    "",
    `**Reason:** ${reasoning}`,
    "",
    `**Execution mode:** \`${analysis.execution_mode}\` on kernel \`${input.kernelName}\``,
    `**Attempt:** ${attempt.number} · **Code sha256:** \`${attempt.codeHash}\``,
    ...(writes.length > 0 ? ["", writesTitle, ...writes] : input.manifest ? ["", "**Write manifest:** the dry run made no writes; any write will be refused"] : []),
    "",
    review,
    "",
    "Approve or reject this code through the approver, quoting the code hash above.",
    "---",
  ].join("\n");
}
