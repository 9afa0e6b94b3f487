import type { ExecutionErrorInfo, ExecutionOutcome, Figure } from "@pyfleet/core";
import { type ErrorOutput, type Output, toMultiline } from "./nbformat.js";

/** The error of a run as a notebook error output (traceback one entry per line, as Jupyter does). */
export function errorOutput(error: ExecutionErrorInfo): ErrorOutput {
  const traceback = error.traceback === "" ? [] : error.traceback.replace(/\n$/, "").split("\n");
  return { output_type: "error", ename: error.ename, evalue: error.evalue, traceback };
}

/** A PNG figure as `display_data`; null when the figure has no inline data to embed. */
export function figureOutput(figure: Figure): Output | null {
  if (!figure.data) return null;
  return {
    output_type: "display_data",
    data: { "image/png": figure.data, "text/plain": [`<Figure ${figure.name}>`] },
    metadata: {},
  };
}

/**
 * The real outputs of an execution in the order a kernel shows them: stdout, stderr, figures,
 * then the error. Empty streams are left out (Jupyter never emits them).
 */
export function outcomeOutputs(outcome: ExecutionOutcome): Output[] {
  const out: Output[] = [];
  if (outcome.stdout !== "") out.push({ output_type: "stream", name: "stdout", text: toMultiline(outcome.stdout) });
  if (outcome.stderr !== "") out.push({ output_type: "stream", name: "stderr", text: toMultiline(outcome.stderr) });
  for (const f of outcome.figures) {
    const o = figureOutput(f);
    if (o) out.push(o);
  }
  if (outcome.error) out.push(errorOutput(outcome.error));
  return out;
}
