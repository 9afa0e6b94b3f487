import type { z } from "zod";
import type { FieldIssue } from "../errors.js";

/** A config problem or warning: its YAML path, a sentence, and the line in the file when known. */
export interface ConfigIssue extends FieldIssue {
  /** 1-based line and column in the file, when the path exists there. */
  line?: number;
  column?: number;
}

/** `["framework", "approver", "tokens", 0, "sha256"]` → `framework.approver.tokens[0].sha256`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out === "" ? "(root)" : out;
}

/** A value as it appears in a message: strings quoted, long values cut. */
export function renderValue(v: unknown): string {
  if (v === undefined) return "(missing)";
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const KIND: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
};

const plural = (n: number | bigint, word: string) => `${n} ${word}${n === 1 || n === 1n ? "" : "s"}`;

function describe(issue: z.core.$ZodIssue, input: unknown): string {
  const v = renderValue(input);
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined) return "is required";
      return `${v} is not ${KIND[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `${v} is not one of ${issue.values.map(String).join(" | ")}`;
    case "too_small":
      if (issue.origin === "string") return Number(issue.minimum) <= 1 ? "must not be empty" : `${v} is shorter than ${plural(issue.minimum, "character")}`;
      if (issue.origin === "array") return `must list at least ${plural(issue.minimum, "item")}`;
      return issue.inclusive === false ? `${v} must be greater than ${issue.minimum}` : `${v} is below the minimum of ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "string") return `${v} is longer than ${plural(issue.maximum, "character")}`;
      if (issue.origin === "array") return `must list at most ${plural(issue.maximum, "item")}`;
      return issue.inclusive === false ? `${v} must be less than ${issue.maximum}` : `${v} is above the maximum of ${issue.maximum}`;
    case "custom":
      return `${v} ${issue.message}`;
    default:
      return `${v}: ${issue.message}`;
  }
}

/**
 * Turns zod issues (parsed with `reportInput: true`) into config issues whose paths start at
 * `prefix` and whose messages name the bad value and what is allowed.
 */
export function configIssues(
  error: z.ZodError,
  prefix: readonly (string | number)[],
): Array<ConfigIssue & { segments: (string | number)[] }> {
  return error.issues.map((issue) => {
    const segments = [...prefix, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))];
    return { segments, path: formatPath(segments), message: describe(issue, (issue as { input?: unknown }).input) };
  });
}
