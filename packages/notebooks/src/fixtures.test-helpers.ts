import { type Attempt, codeHash, type ExecutionOutcome } from "@pyfleet/core";

/** A 1x1 red PNG, base64. */
export const TINY_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/** An outcome as a backend returns it, with overridable fields. */
export function outcome(over: Partial<ExecutionOutcome> = {}): ExecutionOutcome {
  return {
    results: { answer: 42 },
    stdout: "hello\nworld\n",
    stderr: "",
    figures: [],
    durationMs: 12.5,
    recordedWrites: [],
    warnings: [],
    backend: "local",
    stdoutTruncated: false,
    ...over,
  };
}

/** An attempt with the given code and optional outcome. */
export function attempt(code: string, out?: ExecutionOutcome, number = 1): Attempt {
  const a: Attempt = {
    number,
    code,
    codeHash: codeHash(code),
    source: "provided",
    createdAt: "2026-11-26T10:00:00.000Z",
  };
  if (out) a.outcome = out;
  return a;
}

export const request = {
  user_query: "Plot | the beam current",
  task_objective: "Compute the mean\nof the beam current",
};
