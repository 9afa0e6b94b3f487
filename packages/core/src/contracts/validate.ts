import type { z } from "zod";
import { type FieldIssue, PyfleetError } from "../errors.js";

/** Converts zod issues into `{ path, message }` pairs with dotted paths. */
export function zodIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({
    path: i.path.length ? i.path.map(String).join(".") : "(root)",
    message: i.message,
  }));
}

/**
 * Parses `value` with `schema` or throws a `VALIDATION_FAILED` PyfleetError listing every
 * problem with its path.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = zodIssues(r.error);
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  throw new PyfleetError("VALIDATION_FAILED", `invalid ${what}: ${summary}`, { issues });
}
