import type { AnalysisResult, Attempt, ErrorChainEntry, NotebookAttempt, PythonExecutionRequest } from "@pyfleet/core";
import { contextLoaderSource } from "./context-cell.js";
import { errorBlock, fence, findingsList, recordedWritesTable, tableCell } from "./markdown.js";
import {
  type Cell,
  codeCell,
  DEFAULT_KERNEL,
  type KernelSpecInfo,
  markdownCell,
  type Notebook,
  notebook,
  RAISES_EXCEPTION_TAG,
} from "./nbformat.js";
import { outcomeOutputs } from "./outputs.js";

export type NotebookStage = NotebookAttempt["stage"];

/** Everything an attempt notebook shows; all of it comes from the run state. */
export interface AttemptNotebookInput {
  runId: string;
  request: Pick<PythonExecutionRequest, "task_objective" | "user_query">;
  attempt: Attempt;
  stage: NotebookStage;
  /** ISO time the notebook is written. */
  createdAt: string;
  /** Why the attempt failed, when it did (analysis, syntax or runtime error). */
  error?: ErrorChainEntry;
  /** context.json relative to the notebook's folder (attempt notebooks live in `attempts/NN/`). */
  contextPath?: string;
  kernel?: KernelSpecInfo;
}

function analysisSection(a: AnalysisResult): string {
  const facts = [
    `- passed: **${a.passed}**, severity: **${a.severity}**`,
    `- execution mode: \`${a.execution_mode}\`, needs approval: **${a.needs_approval}**`,
  ];
  if (a.reasoning) facts.push(`- reasoning: ${a.reasoning.replace(/\r?\n/g, " ")}`);
  const writes = a.pv_writes.map((w) => `\`${w.pv ?? "<dynamic>"}\` (line ${w.line}, ${w.api})`);
  if (writes.length > 0) facts.push(`- control-system writes: ${writes.join(", ")}`);
  return `## Analysis\n\n${facts.join("\n")}\n\n### Findings\n\n${findingsList(a.findings)}`;
}

function headerText(input: AttemptNotebookInput): string {
  const { attempt } = input;
  const rows = [
    ["stage", `\`${input.stage}\``],
    ["time", input.createdAt],
    ["attempt", String(attempt.number)],
    ["code source", attempt.source],
    ["code sha256", `\`${attempt.codeHash}\``],
  ];
  if (attempt.analysis) rows.push(["mode", `\`${attempt.analysis.execution_mode}\``]);
  if (attempt.outcome) rows.push(["backend", attempt.outcome.backend], ["duration", `${Math.round(attempt.outcome.durationMs)} ms`]);
  const table = ["| | |", "| --- | --- |", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
  const parts = [
    `# pyfleet run \`${input.runId}\`, attempt ${attempt.number}`,
    table,
    `**Task:** ${tableCell(input.request.task_objective, 2000)}`,
  ];
  if (attempt.analysis) parts.push(analysisSection(attempt.analysis));
  if (input.error) parts.push(`## Error\n\n${errorBlock(input.error)}`);
  else if (attempt.outcome?.error) {
    const e = attempt.outcome.error;
    parts.push(`## Error\n\n**${e.category}**: \`${e.ename}\`: ${fence(e.evalue)}`);
  }
  const writes = attempt.outcome?.recordedWrites ?? [];
  if (writes.length > 0) parts.push(`## Recorded writes (dry run)\n\n${recordedWritesTable(writes)}`);
  if (attempt.outcome?.stdoutTruncated) parts.push("_stdout was truncated; the full limit is `limits.max_stdout_bytes`._");
  return parts.join("\n\n");
}

/**
 * The notebook of one attempt: a header (stage, time, analysis findings or error), a cell that
 * loads context.json, and the code with the outputs it really produced. Code that failed or never
 * ran is tagged `raises-exception` so the notebook still executes end to end.
 */
export function buildAttemptNotebook(input: AttemptNotebookInput): Notebook {
  const { attempt } = input;
  const outcome = attempt.outcome;
  const succeeded = outcome !== undefined && outcome.error === undefined && input.error === undefined;
  const cells: Cell[] = [
    markdownCell("header", headerText(input)),
    codeCell("context", contextLoaderSource(input.contextPath ?? "../../context.json")),
    codeCell("code", attempt.code, {
      outputs: outcome ? outcomeOutputs(outcome) : [],
      executionCount: outcome ? 1 : null,
      tags: succeeded ? [] : [RAISES_EXCEPTION_TAG],
    }),
  ];
  return notebook(cells, input.kernel ?? DEFAULT_KERNEL, {
    kind: "attempt",
    run_id: input.runId,
    attempt: attempt.number,
    stage: input.stage,
    created_at: input.createdAt,
    code_sha256: attempt.codeHash,
  });
}
