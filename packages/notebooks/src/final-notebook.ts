import type { Attempt, ErrorChainEntry, PythonExecutionRequest } from "@pyfleet/core";
import { contextLoaderSource } from "./context-cell.js";
import { errorBlock, fence, recordedWritesTable, resultsTable } from "./markdown.js";
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

/** Everything the final notebook of a run shows. */
export interface FinalNotebookInput {
  runId: string;
  request: Pick<PythonExecutionRequest, "task_objective" | "user_query">;
  /** Run status at the end (`completed`, `failed`, ...). */
  status: string;
  /** The attempt whose code and outputs are shown (the last one), or null when none ran. */
  attempt: Attempt | null;
  createdAt: string;
  errorChain: ErrorChainEntry[];
  /** Stored figure files, relative to the notebook's folder (e.g. `figures/figure_01.png`). */
  figurePaths?: string[];
  /** context.json relative to the notebook's folder (the final notebook sits beside it). */
  contextPath?: string;
  kernel?: KernelSpecInfo;
}

function quote(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => `> ${l}`)
    .join("\n");
}

function headerText(input: FinalNotebookInput): string {
  const parts = [
    `# pyfleet run \`${input.runId}\`: ${input.status}`,
    `Written ${input.createdAt}${input.attempt ? `, attempt ${input.attempt.number}, code sha256 \`${input.attempt.codeHash}\`` : ""}.`,
    `## Task\n\n${quote(input.request.task_objective)}`,
    `## User query\n\n${quote(input.request.user_query)}`,
  ];
  return parts.join("\n\n");
}

/**
 * The final notebook of a run: task, user query, context loading, the code with its real outputs,
 * the results as a table, the figures, recorded writes and, for a failed run, the error chain.
 */
export function buildFinalNotebook(input: FinalNotebookInput): Notebook {
  const { attempt } = input;
  const outcome = attempt?.outcome;
  const cells: Cell[] = [
    markdownCell("header", headerText(input)),
    codeCell("context", contextLoaderSource(input.contextPath ?? "context.json")),
  ];
  if (attempt) {
    const succeeded = outcome !== undefined && outcome.error === undefined;
    cells.push(
      markdownCell("code-title", "## Code"),
      codeCell("code", attempt.code, {
        outputs: outcome ? outcomeOutputs(outcome) : [],
        executionCount: outcome ? 1 : null,
        tags: succeeded ? [] : [RAISES_EXCEPTION_TAG],
      }),
    );
  }
  cells.push(markdownCell("results", `## Results\n\n${resultsTable(outcome?.results ?? null)}`));
  const figures = input.figurePaths ?? [];
  if (figures.length > 0) {
    const links = figures.map((p, i) => `### Figure ${i + 1}\n\n![figure ${i + 1}](${encodeURI(p)})`);
    cells.push(markdownCell("figures", `## Figures\n\n${links.join("\n\n")}`));
  }
  const writes = outcome?.recordedWrites ?? [];
  if (writes.length > 0) cells.push(markdownCell("writes", `## Recorded writes (dry run)\n\n${recordedWritesTable(writes)}`));
  if (outcome?.error) {
    const e = outcome.error;
    cells.push(markdownCell("error", `## Error\n\n**${e.category}**: \`${e.ename}\`: ${fence(e.evalue)}`));
  }
  if (input.errorChain.length > 0 && input.status !== "completed") {
    cells.push(markdownCell("error-chain", `## Error chain\n\n${input.errorChain.map(errorBlock).join("\n\n")}`));
  }
  return notebook(cells, input.kernel ?? DEFAULT_KERNEL, {
    kind: "final",
    run_id: input.runId,
    status: input.status,
    attempt: attempt?.number ?? null,
    created_at: input.createdAt,
    code_sha256: attempt?.codeHash ?? null,
  });
}
