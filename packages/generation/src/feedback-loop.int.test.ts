import { execFile } from "node:child_process";
import { createAnalyzer } from "@pyfleet/analysis";
import { type ErrorChainEntry, type Finding, PythonExecutionRequestSchema, projectPython } from "@pyfleet/core";
import { FakeOpenAIServer } from "@pyfleet/testing";
import { afterEach, describe, expect, it } from "vitest";
import { OpenAICodeGenerator } from "./openai-code-generator.js";

const PYTHON = projectPython();
const F = "```";

/** Stand-in for the analyzer: a real Python parse for syntax, one rule for shell calls. */
async function check(code: string): Promise<Finding[]> {
  const syntax = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      PYTHON,
      [
        "-c",
        "import ast, json, sys\ntry:\n    ast.parse(sys.stdin.read())\n    print('{}')\nexcept SyntaxError as e:\n    print(json.dumps({'line': e.lineno, 'col': e.offset, 'msg': e.msg}))",
      ],
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
    child.stdin?.end(code);
  });
  const parsed = JSON.parse(syntax) as { line?: number; col?: number; msg?: string };
  if (parsed.msg) {
    const line = parsed.line ?? 0;
    return [
      {
        rule: "syntax",
        level: "block",
        line,
        column: parsed.col ?? 0,
        snippet: code.split("\n")[line - 1] ?? "",
        message: `SyntaxError: ${parsed.msg}`,
      },
    ];
  }
  return code.split("\n").flatMap((text, i): Finding[] => {
    const m = /\b(os\.system|subprocess\.\w+)\s*\(/.exec(text);
    return m
      ? [{ rule: "shell", level: "block", line: i + 1, column: m.index, snippet: text, message: `${m[1]} runs a shell command` }]
      : [];
  });
}

const request = PythonExecutionRequestSchema.parse({
  user_query: "Count the files in the working folder",
  task_objective: "Return the number of files",
  expected_results: { count: "int" },
});

const REPLIES = [
  `${F}python\nimport os\nresults = {"count": len(os.listdir(".")\n${F}`,
  `Fixed:\n${F}python\nimport os\nn = os.system("ls | wc -l")\nresults = {"count": n}\n${F}`,
  `${F}python\nimport os\nresults = {"count": len(os.listdir("."))}\n${F}`,
];

describe("feedback loop: generate → check → feed back", () => {
  let server: FakeOpenAIServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it("recovers from a syntax error and a forbidden call in three attempts, each prompt carrying the earlier findings", async () => {
    server = await FakeOpenAIServer.start();
    server.enqueue(...REPLIES.map((reply) => ({ reply })));
    const gen = OpenAICodeGenerator.create(
      { base_url: server.url, model: "coder", save_prompts: false, feedback_errors: 2, retry_backoff_ms: 5 },
      {},
    );

    const chain: ErrorChainEntry[] = [];
    let finalCode: string | null = null;
    let attempts = 0;
    for (let attempt = 1; attempt <= 5 && finalCode === null; attempt++) {
      attempts = attempt;
      const { code } = await gen.generate({ runId: "loop-1", request, attempt, errorChain: chain });
      const findings = await check(code);
      if (findings.length === 0) {
        finalCode = code;
        break;
      }
      chain.push({
        stage: "analyze",
        category: "code",
        code: findings[0]?.rule === "syntax" ? "SYNTAX_ERROR" : "ANALYSIS_BLOCKED",
        message: findings.map((f) => f.message).join("; "),
        findings,
        failedCode: code,
        attempt,
        at: new Date().toISOString(),
      });
    }

    expect(attempts).toBe(3);
    expect(finalCode).toBe('import os\nresults = {"count": len(os.listdir("."))}\n');
    expect(chain.map((e) => e.code)).toEqual(["SYNTAX_ERROR", "ANALYSIS_BLOCKED"]);
    expect(server.chatRequests).toHaveLength(3);

    const userPrompt = (n: number) => server?.messagesOf(n).find((m) => m.role === "user")?.content ?? "";
    expect(userPrompt(0)).not.toContain("Earlier attempts failed");

    const second = userPrompt(1);
    expect(second).toContain('### Attempt 1 failed at stage "analyze": SYNTAX_ERROR (category: code)');
    expect(second).toContain("- line 2, column 24 [block] syntax: SyntaxError: '(' was never closed");
    expect(second).toContain('results = {"count": len(os.listdir(".")');
    expect(second).not.toContain("Attempt 2 failed");

    const third = userPrompt(2);
    expect(third).toContain("The 2 most recent failure(s)");
    expect(third).toContain('### Attempt 1 failed at stage "analyze": SYNTAX_ERROR');
    expect(third).toContain('### Attempt 2 failed at stage "analyze": ANALYSIS_BLOCKED (category: code)');
    expect(third).toContain('- line 2, column 4 [block] shell: os.system runs a shell command | code: n = os.system("ls | wc -l")');
    expect(third.indexOf("Attempt 1 failed")).toBeLessThan(third.indexOf("Attempt 2 failed"));
  });

  it("drives the same loop with the real @pyfleet/analysis analyzer", async () => {
    server = await FakeOpenAIServer.start();
    server.enqueue(...REPLIES.map((reply) => ({ reply })));
    const gen = OpenAICodeGenerator.create({ base_url: server.url, model: "coder", save_prompts: false }, {});
    const analyzer = createAnalyzer();

    const chain: ErrorChainEntry[] = [];
    let passedAt = 0;
    for (let attempt = 1; attempt <= 5 && passedAt === 0; attempt++) {
      const { code } = await gen.generate({ runId: "loop-2", request, attempt, errorChain: chain });
      const analysis = await analyzer.analyze({ code, expectedResults: request.expected_results });
      if (analysis.passed) {
        passedAt = attempt;
        break;
      }
      chain.push({
        stage: "analyze",
        category: "code",
        code: analysis.findings.some((f) => f.rule === "syntax") ? "SYNTAX_ERROR" : "ANALYSIS_BLOCKED",
        message: analysis.reasoning,
        findings: analysis.findings.filter((f) => f.level === "block" || f.level === "warn"),
        failedCode: code,
        attempt,
        at: new Date().toISOString(),
      });
    }

    expect(passedAt).toBe(3);
    expect(chain.map((e) => e.code)).toEqual(["SYNTAX_ERROR", "ANALYSIS_BLOCKED"]);
    const user = (n: number) => server?.messagesOf(n).find((m) => m.role === "user")?.content ?? "";
    expect(user(1)).toMatch(/- line 2, column \d+ \[block\] syntax: /);
    expect(user(2)).toMatch(/- line 2, column \d+ \[block\] process-spawn: .*\| code: n = os\.system\("ls \| wc -l"\)/);
    expect(user(2)).toContain('### Attempt 1 failed at stage "analyze": SYNTAX_ERROR');
  });
});
