import type { ErrorChainEntry, PythonExecutionRequest } from "@pyfleet/core";
import { summarizeContext } from "./context-summary.js";
import { sandboxRule } from "./sandbox-rule.js";
import { DEFAULT_FEEDBACK_LIMITS, type FeedbackLimits, lastErrors, renderErrorEntry } from "./feedback.js";
import { DEFAULT_TEMPLATES, type PromptTemplates, render } from "./templates.js";

/** What the prompt depends on besides the request and the chain. */
export interface PromptSettings {
  /** Last N errors of the chain fed back (`feedback_errors`). */
  feedbackErrors: number;
  writesEnabled: boolean;
  controlSystem: string;
  contextSummaryChars: number;
  /** `analysis.rules` levels; `allow` lifts the matching restriction in the rules. */
  analysisRules?: Readonly<Record<string, string>>;
  templates?: Partial<PromptTemplates>;
  feedbackLimits?: Partial<FeedbackLimits>;
}

export interface Prompt {
  system: string;
  user: string;
}

/** Largest expected_results schema rendered in full; larger ones are cut with a note. */
const MAX_SCHEMA_CHARS = 4000;

/**
 * Builds the system message (rules) and the user message (capability prompts verbatim, query,
 * objective, expected results schema, context summary, feedback from the last N errors).
 */
export function buildPrompt(
  request: Pick<
    PythonExecutionRequest,
    "user_query" | "task_objective" | "expected_results" | "capability_prompts" | "capability_context_data"
  >,
  errorChain: readonly ErrorChainEntry[],
  settings: PromptSettings,
): Prompt {
  const t: PromptTemplates = { ...DEFAULT_TEMPLATES, ...settings.templates };
  const expected = request.expected_results ?? {};
  const keys = Object.keys(expected);

  const controlRule = render(settings.writesEnabled ? t.writesAllowedRule : t.writesDisabledRule, {
    control_system: settings.controlSystem,
  });
  const system = render(t.system, {
    control_system_rule: controlRule,
    sandbox_rule: sandboxRule(settings.analysisRules),
    results_keys:
      keys.length > 0 ? keys.map((k) => JSON.stringify(k)).join(", ") : "none are prescribed; add one key per requested value",
  });

  const user = render(t.user, {
    capability_prompts: (request.capability_prompts ?? []).join("\n\n"),
    user_query: request.user_query,
    task_objective: request.task_objective,
    expected_results: expectedSection(expected),
    context_summary: contextSection(request.capability_context_data, settings.contextSummaryChars),
    feedback: feedbackSection(errorChain, settings, t),
  });
  return { system, user };
}

function expectedSection(expected: Record<string, unknown>): string {
  if (Object.keys(expected).length === 0) return "";
  let schema = JSON.stringify(expected, null, 2);
  if (schema.length > MAX_SCHEMA_CHARS) schema = `${schema.slice(0, MAX_SCHEMA_CHARS)}\n... (schema cut at ${MAX_SCHEMA_CHARS} chars)`;
  return [
    "## Expected results (schema of `results`)",
    "`results` must contain every top-level key below; each value describes what that key must hold.",
    "```json",
    schema,
    "```",
  ].join("\n");
}

function contextSection(data: Record<string, unknown> | null | undefined, maxChars: number): string {
  const summary = summarizeContext(data, { maxChars });
  if (!summary) return "";
  const bytes = Buffer.byteLength(JSON.stringify(data), "utf8");
  return [
    `## Available context (summary of context.json, ${formatBytes(bytes)}; read the values through \`context\`)`,
    summary,
  ].join("\n");
}

function feedbackSection(chain: readonly ErrorChainEntry[], settings: PromptSettings, t: PromptTemplates): string {
  const errors = lastErrors(chain, settings.feedbackErrors);
  if (errors.length === 0) return "";
  const limits = { ...DEFAULT_FEEDBACK_LIMITS, ...settings.feedbackLimits };
  return [
    render(t.feedbackHeader, { count: String(errors.length) }),
    ...errors.map((e) => renderErrorEntry(e, limits)),
    t.feedbackFooter,
  ].join("\n\n");
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
