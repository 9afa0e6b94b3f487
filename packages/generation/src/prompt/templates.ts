/**
 * Prompt templates. `{{name}}` placeholders are replaced by `render`; optional sections are
 * whole-line placeholders that vanish when empty, so they leave no empty headings behind.
 */
export interface PromptTemplates {
  /** System message: the rules. Placeholders: `control_system_rule`, `results_keys`, `sandbox_rule`. */
  system: string;
  /** Control-system rule when writes are enabled (placeholder `control_system`). */
  writesAllowedRule: string;
  /** Control-system rule when `control_system.writes_enabled` is false. */
  writesDisabledRule: string;
  /**
   * User message. Placeholders: `capability_prompts`, `user_query`, `task_objective`,
   * `expected_results`, `context_summary`, `feedback`.
   */
  user: string;
  /** Opens the feedback section. Placeholder `count`. */
  feedbackHeader: string;
  /** Closes the feedback section. */
  feedbackFooter: string;
}

export const DEFAULT_TEMPLATES: PromptTemplates = {
  system: `You write Python 3 code that runs unattended in a sandboxed kernel next to a particle accelerator.
Reply with exactly one fenced \`\`\`python code block holding the complete program. Prose outside the block is ignored.

Rules (code that breaks them is rejected by static analysis and sent back to you):
1. Assign a module-level dict named \`results\` (e.g. \`results = {}\` at top level, then fill it) holding the expected keys: {{results_keys}}. Values must be JSON-serialisable (convert numpy types with float()/int()/.tolist()).
2. Make figures with matplotlib (import matplotlib.pyplot as plt) and leave them open: the runtime collects every open figure. Never call plt.show() and do not change the backend.
3. Read every input from the global \`context\` object, already loaded from context.json; use the paths listed in the context summary. Do not open context.json yourself and do not invent data.
4. {{control_system_rule}}
5. {{sandbox_rule}}
6. Keep it self-contained: the standard library, numpy, pandas and matplotlib are available; install nothing.`,
  writesAllowedRule:
    "Control system ({{control_system}}): read with the provided read_channel(name). Write (write_channel(name, value), epics.caput, PV.put) only when the task explicitly asks to change a setting; code that writes runs only after human approval. In read-only runs any write raises PermissionError, so a task that only reads or analyses must contain no control-system writes.",
  writesDisabledRule:
    "Control system ({{control_system}}): writes are disabled in this deployment. Read with the provided read_channel(name); never call write_channel, epics.caput, PV.put or any other write entry point.",
  user: `{{capability_prompts}}

## User request
{{user_query}}

## Task objective
{{task_objective}}

{{expected_results}}

{{context_summary}}

{{feedback}}`,
  feedbackHeader:
    "## Earlier attempts failed\nThe {{count}} most recent failure(s) are below, oldest first. Fix every problem listed; do not repeat the same mistake.",
  feedbackFooter: "Write a corrected, complete program now.",
};

/**
 * Replaces `{{name}}` placeholders; unknown placeholders are left as they are. A line holding only
 * a placeholder with an empty value is dropped and the template's blank lines around it collapse;
 * the values themselves are inserted verbatim (code and prompts keep their own blank lines).
 */
export function render(template: string, values: Record<string, string>): string {
  const lines: string[] = [];
  for (const line of template.split("\n")) {
    const only = /^\s*\{\{(\w+)\}\}\s*$/.exec(line);
    if (only && Object.hasOwn(values, only[1] as string) && values[only[1] as string] === "") continue;
    if (line.trim() === "" && lines.length > 0 && lines[lines.length - 1]?.trim() === "") continue;
    lines.push(line);
  }
  return lines
    .join("\n")
    .replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? (values[name] as string) : whole))
    .trim();
}
