import type { AnalysisResult, ErrorChainEntry } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { buildAttemptNotebook } from "./attempt-notebook.js";
import { buildFinalNotebook } from "./final-notebook.js";
import { attempt, outcome, request, TINY_PNG } from "./fixtures.test-helpers.js";
import { resultsTable, tableCell } from "./markdown.js";
import { type CodeCell, codeCell, markdownCell, notebook, RAISES_EXCEPTION_TAG, toMultiline } from "./nbformat.js";

const text = (lines: string[]) => lines.join("");

describe("toMultiline", () => {
  it("keeps newlines on every line but the last and round-trips", () => {
    expect(toMultiline("a\nb")).toEqual(["a\n", "b"]);
    expect(toMultiline("a\nb\n")).toEqual(["a\n", "b\n"]);
    expect(toMultiline("")).toEqual([]);
    const s = "x = 1\n\n\nprint('é')\n";
    expect(text(toMultiline(s))).toBe(s);
  });
});

describe("cells", () => {
  it("rejects ids the schema forbids and duplicate ids", () => {
    expect(() => markdownCell("has space", "x")).toThrow(/invalid nbformat cell id/);
    expect(() => markdownCell("a".repeat(65), "x")).toThrow(/invalid/);
    expect(() => notebook([markdownCell("a", "1"), codeCell("a", "2")], { name: "k", display_name: "k", language: "python" }, {})).toThrow(
      /duplicate/,
    );
  });
});

describe("buildAttemptNotebook", () => {
  it("shows the real outputs: streams, PNG figures, then the error with traceback lines", () => {
    const out = outcome({
      stdout: "line 1\nline 2\n",
      stderr: "warn\n",
      figures: [{ name: "figure_01.png", mime: "image/png", data: TINY_PNG }],
      error: { ename: "ZeroDivisionError", evalue: "division by zero", traceback: "Traceback\n  File x\nZeroDivisionError", category: "code" },
    });
    const nb = buildAttemptNotebook({
      runId: "run-1",
      request,
      attempt: attempt("print(1/0)", out, 2),
      stage: "execution_failed",
      createdAt: "2026-11-26T10:00:01.000Z",
    });
    expect(nb.nbformat).toBe(4);
    expect(nb.nbformat_minor).toBe(5);
    expect(nb.cells.map((c) => c.id)).toEqual(["header", "context", "code"]);
    const code = nb.cells[2] as CodeCell;
    expect(code.outputs.map((o) => o.output_type)).toEqual(["stream", "stream", "display_data", "error"]);
    expect(code.outputs[0]).toEqual({ output_type: "stream", name: "stdout", text: ["line 1\n", "line 2\n"] });
    expect(code.outputs[2]).toMatchObject({ data: { "image/png": TINY_PNG } });
    expect(code.outputs[3]).toEqual({
      output_type: "error",
      ename: "ZeroDivisionError",
      evalue: "division by zero",
      traceback: ["Traceback", "  File x", "ZeroDivisionError"],
    });
    expect(code.metadata.tags).toEqual([RAISES_EXCEPTION_TAG]);
    expect(code.execution_count).toBe(1);
    const header = text(nb.cells[0]!.source);
    expect(header).toContain("`execution_failed`");
    expect(header).toContain("2026-11-26T10:00:01.000Z");
    expect(header).toContain("ZeroDivisionError");
    expect(nb.metadata.kernelspec.name).toBe("python3-epics-readonly");
    expect(nb.metadata.pyfleet).toMatchObject({ kind: "attempt", run_id: "run-1", attempt: 2 });
  });

  it("lists analysis findings and the error of code that never ran, with no outputs", () => {
    const analysis: AnalysisResult = {
      passed: false,
      severity: "error",
      findings: [{ rule: "security.exec", level: "block", line: 3, column: 1, snippet: "exec(x)", message: "exec is not allowed" }],
      pv_writes: [{ pv: "X:Y", line: 4, column: 1, api: "epics.caput", dynamic: false }],
      pv_reads: [],
      execution_mode: "write_access",
      needs_approval: true,
      reasoning: "writes X:Y",
      results_keys: [],
      analyzer_version: "1",
    };
    const error: ErrorChainEntry = {
      stage: "analyze",
      category: "code",
      code: "ANALYSIS_BLOCKED",
      message: "exec is not allowed",
      attempt: 1,
      at: "2026-11-26T10:00:00.000Z",
    };
    const a = { ...attempt("exec(x)"), analysis };
    const nb = buildAttemptNotebook({ runId: "r", request, attempt: a, stage: "static_analysis_failed", createdAt: "t", error });
    const header = text(nb.cells[0]!.source);
    expect(header).toContain("`security.exec` (line 3): exec is not allowed");
    expect(header).toContain("ANALYSIS_BLOCKED");
    expect(header).toContain("`X:Y` (line 4, epics.caput)");
    const code = nb.cells[2] as CodeCell;
    expect(code.outputs).toEqual([]);
    expect(code.execution_count).toBeNull();
    expect(code.metadata.tags).toEqual([RAISES_EXCEPTION_TAG]);
  });

  it("leaves successful code untagged and loads context from the attempt folder", () => {
    const nb = buildAttemptNotebook({ runId: "r", request, attempt: attempt("x = 1", outcome()), stage: "execution_succeeded", createdAt: "t" });
    expect((nb.cells[2] as CodeCell).metadata).toEqual({});
    expect(text(nb.cells[1]!.source)).toContain('Path("../../context.json")');
  });
});

describe("buildFinalNotebook", () => {
  it("has task, user query, code with outputs, a results table and figure links", () => {
    const out = outcome({
      results: { mean: 1.5, label: "a|b" },
      figures: [{ name: "figure_01.png", mime: "image/png", data: TINY_PNG }],
      recordedWrites: [
        { pv: "B:2", value: 2, api: "epics.caput", order: 2 },
        { pv: "A:1", value: 1, api: "epics.PV.put", order: 1 },
      ],
    });
    const nb = buildFinalNotebook({
      runId: "run-9",
      request,
      status: "completed",
      attempt: attempt("results = {'mean': 1.5}", out, 3),
      createdAt: "t",
      errorChain: [],
      figurePaths: ["figures/figure 01.png"],
    });
    expect(nb.cells.map((c) => c.id)).toEqual(["header", "context", "code-title", "code", "results", "figures", "writes"]);
    const header = text(nb.cells[0]!.source);
    expect(header).toContain("> Compute the mean\n> of the beam current");
    expect(header).toContain("> Plot | the beam current");
    const results = text(nb.cells[4]!.source);
    expect(results).toContain("| `mean` | 1.5 |");
    expect(results).toContain("| `label` | a\\|b |");
    expect(text(nb.cells[5]!.source)).toContain("![figure 1](figures/figure%2001.png)");
    const writes = text(nb.cells[6]!.source);
    expect(writes.indexOf("A:1")).toBeLessThan(writes.indexOf("B:2"));
    expect(text(nb.cells[1]!.source)).toContain('Path("context.json")');
  });

  it("shows the error chain of a failed run without code when no attempt ran", () => {
    const nb = buildFinalNotebook({
      runId: "r",
      request,
      status: "failed",
      attempt: null,
      createdAt: "t",
      errorChain: [
        { stage: "generate", category: "infrastructure", code: "LLM_UNAVAILABLE", message: "down", traceback: "tb ``` x", attempt: 1, at: "t" },
      ],
    });
    expect(nb.cells.map((c) => c.id)).toEqual(["header", "context", "results", "error-chain"]);
    const chain = text(nb.cells[3]!.source);
    expect(chain).toContain("LLM_UNAVAILABLE");
    expect(chain.match(/```/g)).toHaveLength(2);
  });
});

describe("markdown helpers", () => {
  it("truncates long cells and says when there are no results", () => {
    expect(tableCell("x".repeat(500)).length).toBe(200);
    expect(resultsTable(null)).toMatch(/No results/);
    expect(resultsTable({ nested: { a: [1, 2] } })).toContain('{"a":[1,2]}');
  });
});
