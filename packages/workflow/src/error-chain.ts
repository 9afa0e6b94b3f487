/** Builders for error-chain entries: the structured feedback the next generation reads. */
import type { ErrorCategory, ErrorChainEntry, ErrorCode, Finding, Stage } from "@pyfleet/core";

/** Tracebacks longer than this are cut to their head and tail (the original's 500 + 500). */
export const TRACEBACK_LIMIT = 1000;
const HALF = TRACEBACK_LIMIT / 2;

/** Keeps the first and last 500 characters of a long traceback: where it began and the error. */
export function trimTraceback(traceback: string): string {
  if (traceback.length <= TRACEBACK_LIMIT) return traceback;
  const cut = traceback.length - TRACEBACK_LIMIT;
  return `${traceback.slice(0, HALF)}\n... [${cut} characters cut] ...\n${traceback.slice(-HALF)}`;
}

export interface EntryInput {
  stage: Stage;
  category: ErrorCategory;
  code: ErrorCode;
  message: string;
  attempt: number;
  at: Date;
  traceback?: string;
  findings?: Finding[];
  failedCode?: string;
}

/** One error-chain entry; optional fields are left out rather than set to undefined (JSON). */
export function errorEntry(input: EntryInput): ErrorChainEntry {
  const entry: ErrorChainEntry = {
    stage: input.stage,
    category: input.category,
    code: input.code,
    message: input.message,
    attempt: input.attempt,
    at: input.at.toISOString(),
  };
  if (input.traceback !== undefined) entry.traceback = trimTraceback(input.traceback);
  if (input.findings !== undefined) entry.findings = input.findings;
  if (input.failedCode !== undefined) entry.failedCode = input.failedCode;
  return entry;
}

/** Message of the last error in the chain (the run's failure reason), or null. */
export function lastErrorMessage(chain: ErrorChainEntry[]): string | null {
  return chain[chain.length - 1]?.message ?? null;
}
