import { describe, expect, it } from "vitest";
import { PyfleetError } from "../errors.js";
import { DEFAULT_REQUEST_LIMITS, makeRequestSchema, PythonExecutionRequestSchema } from "./request.js";
import { parseOrThrow } from "./validate.js";

const FULL = {
  user_query: "analyse the beam current of the last hour",
  task_objective: "plot beam current and report its mean",
  capability_prompts: ["use pandas", "label axes"],
  expected_results: { mean_current: "float in mA", figure: "png" },
  execution_folder_name: "beam_current",
  capability_context_data: { pv_data: { "SR:CURRENT": [1.5, 1.6] }, nested: { a: [1, { b: null }] } },
  retries: 2,
  code: "results = {'mean_current': 1.55}\n",
  execution_method: "container",
  thread_id: "run-42:attempt.1",
  checkpoint_ns: "python_executor",
  requester: "backend-a",
  dry_run: true,
} as const;

function validationError(fn: () => unknown): PyfleetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PyfleetError) return err;
    throw err;
  }
  throw new Error("expected a PyfleetError");
}

const issuesOf = (value: unknown, schema = PythonExecutionRequestSchema) =>
  validationError(() => parseOrThrow(schema, value, "request")).issues;

describe("PythonExecutionRequest", () => {
  it("round-trips every field through JSON unchanged", () => {
    const parsed = parseOrThrow(PythonExecutionRequestSchema, FULL, "request");
    expect(parsed).toEqual(FULL);
    expect(parseOrThrow(PythonExecutionRequestSchema, JSON.parse(JSON.stringify(parsed)), "request")).toEqual(parsed);
  });

  it("applies the original system's defaults", () => {
    const parsed = parseOrThrow(PythonExecutionRequestSchema, { user_query: "q", task_objective: "t" }, "request");
    expect(parsed).toEqual({
      user_query: "q",
      task_objective: "t",
      expected_results: {},
      capability_prompts: [],
      execution_folder_name: "python_capability",
    });
  });

  it("reports missing fields and wrong types together, each with its path", () => {
    const err = validationError(() =>
      parseOrThrow(
        PythonExecutionRequestSchema,
        { task_objective: 5, capability_prompts: ["ok", 7], retries: -1, execution_method: "kontainer" },
        "request",
      ),
    );
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(err.category).toBe("validation");
    expect(err.issues?.map((i) => i.path)).toEqual([
      "user_query",
      "task_objective",
      "capability_prompts.1",
      "retries",
      "execution_method",
    ]);
    expect(err.message).toMatch(/^invalid request: user_query: /);
  });

  it("rejects empty strings and unsafe folder names with a sentence", () => {
    expect(issuesOf({ user_query: "", task_objective: "t", execution_folder_name: "../etc" })).toEqual([
      { path: "user_query", message: "user_query must be a non-empty string" },
      {
        path: "execution_folder_name",
        message: "execution_folder_name may only hold letters, digits, '_', '.', '-' (1-80 chars)",
      },
    ]);
    expect(issuesOf({ user_query: "q", task_objective: "t", execution_folder_name: ".." })).toEqual([
      { path: "execution_folder_name", message: "execution_folder_name cannot be '.' or '..'" },
    ]);
  });

  it("rejects oversize code and context against the configured limits", () => {
    const schema = makeRequestSchema({ maxCodeBytes: 16, maxContextBytes: 32, maxJsonDepth: 8 });
    const base = { user_query: "q", task_objective: "t" };
    expect(parseOrThrow(schema, { ...base, code: "x".repeat(16) }, "request").code).toHaveLength(16);
    expect(issuesOf({ ...base, code: "é".repeat(9) }, schema)).toEqual([
      { path: "code", message: "code is larger than the limit of 16 bytes (limits.max_code_bytes)" },
    ]);
    expect(issuesOf({ ...base, capability_context_data: { k: "v".repeat(40) } }, schema)).toEqual([
      {
        path: "capability_context_data",
        message: "capability_context_data is larger than the limit of 32 bytes (limits.max_context_bytes)",
      },
    ]);
  });

  it("rejects free-form JSON nested deeper than the limit with a 400-style issue on the field, never a stack overflow", () => {
    const schema = makeRequestSchema({ ...DEFAULT_REQUEST_LIMITS, maxJsonDepth: 3 });
    const base = { user_query: "q", task_objective: "t" };
    expect(schema.safeParse({ ...base, capability_context_data: { a: { b: [1] } }, expected_results: { a: [[]] } }).success).toBe(true);
    expect(issuesOf({ ...base, capability_context_data: { a: { b: [[1]] } } }, schema)).toEqual([
      { path: "capability_context_data", message: "capability_context_data nests deeper than the limit of 3 levels (limits.max_json_depth)" },
    ]);
    expect(issuesOf({ ...base, expected_results: { a: [[{}]] } }, schema)).toEqual([
      { path: "expected_results", message: "expected_results nests deeper than the limit of 3 levels (limits.max_json_depth)" },
    ]);
    // Far past the depth where JSON.stringify (the size check) overflows the stack.
    const deep = JSON.parse(`{"a":${"[".repeat(200_000)}${"]".repeat(200_000)}}`);
    expect(issuesOf({ ...base, capability_context_data: deep })?.[0]?.path).toBe("capability_context_data");
    expect(issuesOf({ ...base, expected_results: deep })?.[0]?.path).toBe("expected_results");
    expect(DEFAULT_REQUEST_LIMITS.maxJsonDepth).toBe(64);
  });

  it("uses 256 KiB of code by default", () => {
    const base = { user_query: "q", task_objective: "t" };
    expect(DEFAULT_REQUEST_LIMITS.maxCodeBytes).toBe(262_144);
    expect(PythonExecutionRequestSchema.safeParse({ ...base, code: "x".repeat(262_144) }).success).toBe(true);
    expect(issuesOf({ ...base, code: "x".repeat(262_145) })?.[0]?.path).toBe("code");
  });

  it("rejects unknown fields (strict), naming them", () => {
    const issues = issuesOf({ user_query: "q", task_objective: "t", approved: true });
    expect(issues).toHaveLength(1);
    expect(issues?.[0]?.path).toBe("(root)");
    expect(issues?.[0]?.message).toContain('"approved"');
  });

  it("rejects thread ids that could collide with key separators", () => {
    expect(issuesOf({ user_query: "q", task_objective: "t", thread_id: "a b" })).toEqual([
      { path: "thread_id", message: "thread_id must match [A-Za-z0-9][A-Za-z0-9_.:-]{0,127}" },
    ]);
  });
});
