import type { ErrorChainEntry } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { buildPrompt, type PromptSettings } from "./build-prompt.js";

const settings: PromptSettings = {
  feedbackErrors: 2,
  writesEnabled: true,
  controlSystem: "epics",
  contextSummaryChars: 4000,
};

const capabilityPrompts = [
  "TASK: analyse the beam current\n\n\n  keep this spacing verbatim",
  "CONTEXT ACCESS DESCRIPTION: context.ARCHIVER.beam holds {timestamps, values}",
];

const request = {
  user_query: "Plot the beam current of the last hour",
  task_objective: "Find drops below 10 mA",
  expected_results: { mean_current: "float, mA", drops: { type: "list", items: "ISO timestamps" } },
  capability_prompts: capabilityPrompts,
  capability_context_data: {
    ARCHIVER: { beam: { timestamps: ["2026-11-26T09:00:00Z", "2026-11-26T09:00:01Z"], values: [12.5, 9.1, 11.0] } },
  },
};

const entry = (attempt: number, over: Partial<ErrorChainEntry> = {}): ErrorChainEntry => ({
  stage: "analyze",
  category: "code",
  code: "ANALYSIS_BLOCKED",
  message: `attempt ${attempt} was blocked`,
  attempt,
  at: "2026-11-26T09:00:00Z",
  ...over,
});

describe("buildPrompt", () => {
  it("puts every rule in the system message", () => {
    const { system } = buildPrompt(request, [], settings);
    expect(system).toContain("module-level dict named `results`");
    expect(system).toContain('"mean_current", "drops"');
    expect(system).toContain("matplotlib");
    expect(system).toContain("Never call plt.show()");
    expect(system).toContain("the runtime collects every open figure");
    expect(system).toContain("read with the provided read_channel(name)");
    expect(system).toContain("global `context` object, already loaded from context.json");
    expect(system).toMatch(/read-only runs any write raises PermissionError/);
    expect(system).toContain("Control system (epics)");
    expect(system).toContain("5. No network access (sockets, requests, urllib, http); no subprocesses or shell (os.system, subprocess");
    expect(system).toContain("no eval/exec/compile");
    expect(system).toContain("no file writes outside the current working folder.");
    expect(system).not.toContain("{{");
  });

  it("lifts only the restrictions analysis.rules allows", () => {
    const { system } = buildPrompt(request, [], { ...settings, analysisRules: { network: "allow", "process-spawn": "warn" } });
    expect(system).not.toContain("No network access");
    expect(system).toContain("5. No subprocesses or shell");
    expect(system).toContain("Allowed in this deployment when the task needs it: network access (sockets, requests, urllib, http).");
  });

  it("forbids every write when writes are disabled", () => {
    const { system } = buildPrompt(request, [], { ...settings, writesEnabled: false, controlSystem: "tango" });
    expect(system).toContain("Control system (tango): writes are disabled");
    expect(system).toContain("never call write_channel, epics.caput");
    expect(system).not.toContain("explicitly asks to change a setting");
  });

  it("builds the user message from every request field", () => {
    const { user } = buildPrompt(request, [], settings);
    // capability prompts verbatim, in order, before the query
    expect(user.startsWith(capabilityPrompts.join("\n\n"))).toBe(true);
    expect(user).toContain("## User request\nPlot the beam current of the last hour");
    expect(user).toContain("## Task objective\nFind drops below 10 mA");
    expect(user).toContain("## Expected results (schema of `results`)");
    expect(user).toContain(JSON.stringify(request.expected_results, null, 2));
    expect(user).toContain("## Available context (summary of context.json");
    expect(user).toContain("context.ARCHIVER.beam.values: list of 3 number, min 9.1, max 12.5");
    expect(user).not.toContain("Earlier attempts failed");
    const order = ["TASK:", "## User request", "## Task objective", "## Expected results", "## Available context"];
    const positions = order.map((s) => user.indexOf(s));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it("omits empty optional sections without leaving headings", () => {
    const { user, system } = buildPrompt(
      { user_query: "q", task_objective: "t", expected_results: {}, capability_prompts: [], capability_context_data: null },
      [],
      settings,
    );
    expect(user).toBe("## User request\nq\n\n## Task objective\nt");
    expect(system).toContain("none are prescribed");
  });

  it("feeds back the last N errors with code, category, findings and trimmed traceback", () => {
    const chain = [
      entry(1, { message: "OLDEST must not appear" }),
      entry(2, {
        failedCode: "import os\nos.system('ls')\nresults = {}",
        findings: [
          { rule: "subprocess", level: "block", line: 2, column: 0, snippet: "os.system('ls')", message: "shell call" },
        ],
      }),
      entry(3, {
        stage: "execute",
        code: "RUNTIME_ERROR",
        message: "ZeroDivisionError: division by zero",
        failedCode: "results = {'x': 1/0}",
        traceback: `HEAD-${"a".repeat(3000)}-TAIL`,
      }),
    ];
    const { user } = buildPrompt(request, chain, settings);
    expect(user).toContain("## Earlier attempts failed\nThe 2 most recent failure(s)");
    expect(user).not.toContain("OLDEST");
    expect(user).toContain('### Attempt 2 failed at stage "analyze": ANALYSIS_BLOCKED (category: code)');
    expect(user).toContain("- line 2, column 0 [block] subprocess: shell call | code: os.system('ls')");
    expect(user).toContain("```python\nimport os\nos.system('ls')\nresults = {}\n```");
    expect(user).toContain('### Attempt 3 failed at stage "execute": RUNTIME_ERROR (category: code)');
    expect(user).toContain("Message: ZeroDivisionError: division by zero");
    expect(user).toContain("Traceback (head and tail):");
    expect(user).toContain("HEAD-");
    expect(user).toContain("-TAIL");
    expect(user).toContain("[2010 characters omitted]");
    expect(user.indexOf("Attempt 2")).toBeLessThan(user.indexOf("Attempt 3"));
    expect(user.trimEnd().endsWith("Write a corrected, complete program now.")).toBe(true);
  });

  it("honours feedback_errors = 0 and custom templates", () => {
    const chain = [entry(1)];
    expect(buildPrompt(request, chain, { ...settings, feedbackErrors: 0 }).user).not.toContain("Attempt 1");
    const custom = buildPrompt(request, chain, {
      ...settings,
      templates: {
        system: "RULES keys={{results_keys}}",
        user: "Q={{user_query}}\n{{feedback}}",
        feedbackHeader: "PREVIOUS ({{count}}):",
        feedbackFooter: "END",
      },
    });
    expect(custom.system).toBe('RULES keys="mean_current", "drops"');
    expect(custom.user.startsWith("Q=Plot the beam current of the last hour\nPREVIOUS (1):\n\n### Attempt 1")).toBe(true);
    expect(custom.user.endsWith("END")).toBe(true);
  });
});
