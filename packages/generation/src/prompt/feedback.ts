import type { ErrorChainEntry } from "@pyfleet/core";

/** Limits of the feedback section (tracebacks and failed code are cut to head and tail). */
export interface FeedbackLimits {
  /** Tracebacks longer than this keep `tracebackHead` + `tracebackTail` characters. */
  maxTracebackChars: number;
  tracebackHead: number;
  tracebackTail: number;
  /** Failed code longer than this keeps its first and last halves of the budget. */
  maxCodeChars: number;
  /** Findings listed per entry. */
  maxFindings: number;
}

export const DEFAULT_FEEDBACK_LIMITS: FeedbackLimits = {
  maxTracebackChars: 1000,
  tracebackHead: 500,
  tracebackTail: 500,
  maxCodeChars: 8000,
  maxFindings: 20,
};

/** The last `n` entries of the chain, oldest first. */
export function lastErrors(chain: readonly ErrorChainEntry[], n: number): ErrorChainEntry[] {
  return n <= 0 ? [] : chain.slice(-n);
}

/** Keeps the head and tail of a long text and says how much was cut in between. */
export function trimMiddle(text: string, max: number, head: number, tail: number): string {
  if (text.length <= max) return text;
  const omitted = text.length - head - tail;
  return `${text.slice(0, head)}\n... [${omitted} characters omitted] ...\n${text.slice(text.length - tail)}`;
}

/** A markdown fence longer than any backtick run inside `text`. */
export function fenceFor(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(longest + 1);
}

/** Renders one failure as markdown: stage, code, category, message, findings, code, traceback. */
export function renderErrorEntry(e: ErrorChainEntry, limits: FeedbackLimits = DEFAULT_FEEDBACK_LIMITS): string {
  const parts = [
    `### Attempt ${e.attempt} failed at stage "${e.stage}": ${e.code} (category: ${e.category})`,
    `Message: ${e.message}`,
  ];
  const findings = e.findings ?? [];
  if (findings.length > 0) {
    const shown = findings.slice(0, limits.maxFindings).map((f) => {
      const snippet = f.snippet ? ` | code: ${f.snippet.trim().slice(0, 160)}` : "";
      return `- line ${f.line}, column ${f.column} [${f.level}] ${f.rule}: ${f.message}${snippet}`;
    });
    if (findings.length > limits.maxFindings) shown.push(`- ... ${findings.length - limits.maxFindings} more findings`);
    parts.push(`Analysis findings:\n${shown.join("\n")}`);
  }
  if (e.failedCode) {
    const half = Math.floor(limits.maxCodeChars / 2);
    const code = trimMiddle(e.failedCode, limits.maxCodeChars, half, half);
    const fence = fenceFor(code);
    parts.push(`Failed code:\n${fence}python\n${code}\n${fence}`);
  }
  if (e.traceback) {
    const tb = trimMiddle(e.traceback, limits.maxTracebackChars, limits.tracebackHead, limits.tracebackTail);
    const fence = fenceFor(tb);
    parts.push(`Traceback${tb.length < e.traceback.length ? " (head and tail)" : ""}:\n${fence}\n${tb}\n${fence}`);
  }
  return parts.join("\n");
}
