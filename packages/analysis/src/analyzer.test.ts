import { AnalysisResultSchema } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { createAnalyzer, formatFeedback } from "./analyzer.js";
import { PythonParser } from "./parser.js";

const analyzer = createAnalyzer({});
const run = (code: string, expectedResults: Record<string, unknown> = {}) => analyzer.analyze({ code, expectedResults });

describe("parser", () => {
  it("is created once per process", async () => {
    const [a, b] = await Promise.all([PythonParser.create(), PythonParser.create()]);
    expect(a).toBe(b);
    expect(await PythonParser.create()).toBe(a);
  });
});

describe("analyzer", () => {
  it("returns a result that satisfies the core contract", async () => {
    const r = await run('import epics\nepics.caput("A", 1)\nresults = {"a": 1}\n', { a: null });
    expect(AnalysisResultSchema.parse(r)).toEqual(r);
    expect(r.analyzer_version).toMatch(/pyfleet-analysis/);
    expect(r.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it("reports a syntax error with line, column and a readable message, and fails", async () => {
    const r = await run("x = 1\ndef f(:\n    pass\n");
    const syntax = r.findings.filter((f) => f.rule === "syntax");
    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject({ level: "block", line: 2, column: 7, snippet: "def f(:" });
    expect(syntax[0]!.message).toMatch(/^Syntax error at line 2, column 7: missing "\)"/);
    expect(r.passed).toBe(false);
    expect(r.severity).toBe("error");
    expect(r.reasoning).toMatch(/Analysis failed: syntax at line 2/);
  });

  it("explains every write with its line and PV", async () => {
    const r = await run('from epics import caput as c\n\nc("SR:Q1", 2)\n');
    expect(r.pv_writes).toEqual([{ pv: "SR:Q1", line: 3, column: 1, api: "epics.caput", dynamic: false }]);
    expect(r.findings.find((f) => f.rule === "control-write")).toMatchObject({ line: 3, message: "writes SR:Q1 via epics.caput" });
  });

  it("flags results missing and expected keys not set", async () => {
    const none = await run("x = 1\n", { mean: 0 });
    expect(none.findings.map((f) => f.rule)).toEqual(["results-missing"]);
    expect(none.passed).toBe(true);
    expect(none.severity).toBe("warning");
    const partial = await run('results = {"mean": 1}\nresults["std"] = 2\nresults.update(n=3)\n', { mean: 0, std: 0, n: 0, peak: 0 });
    expect(partial.results_keys).toEqual(["mean", "std", "n"]);
    const missing = partial.findings.filter((f) => f.rule === "result-key-missing");
    expect(missing.map((f) => f.message)).toEqual(['expected result "peak" is never set in results']);
    expect(missing[0]!.line).toBe(1);
  });

  it("counts only module-level assignments of results (not in functions, classes or lambdas), wherever the statement is nested", async () => {
    const inside = await run("def f():\n    results = {}\nclass C:\n    results = {}\n", { a: 0 });
    expect(inside.findings.map((f) => f.rule)).toEqual(["results-missing"]);
    const nested = await run('if True:\n    try:\n        results = {"a": 1}\n    except Exception:\n        pass\n', { a: 0 });
    expect(nested.findings.map((f) => f.rule)).toEqual([]);
    expect(nested.results_keys).toEqual(["a"]);
  });

  it("finds shell=True, exec and globals() only where the source spells them (the passes skip the checks otherwise)", async () => {
    const shell = await run('import subprocess\nsubprocess.run("ls", shell=True)\nresults = {}\n');
    expect(shell.findings.filter((f) => f.message === "shell=True runs a shell command")).toHaveLength(1);
    const unknown = await run("exec('y = 1')\nprint(y)\nresults = {}\n");
    expect(unknown.findings.filter((f) => f.rule === "undefined-name")).toEqual([]);
    const known = await run("print(y)\nresults = {}\n");
    expect(known.findings.filter((f) => f.rule === "undefined-name").map((f) => f.line)).toEqual([1]);
  });

  it("resolves a name again when a star import later in the file provides it (the lookup of unbound names is kept per node only while the star imports stay the same)", async () => {
    const r = await run('def f():\n    return caput("A", 1)\nf()\nfrom epics import *\nresults = {}\n');
    expect(r.pv_writes.map((w) => `${w.pv} ${w.api}`)).toContain("A epics.caput");
  });

  it("says keys may be computed when results uses non-literal keys", async () => {
    const r = await run('results = {}\nfor k in ["a"]:\n    results[k] = 1\n', { a: 0 });
    expect(r.findings.find((f) => f.rule === "result-key-missing")?.message).toMatch(/not set with a literal key/);
  });

  it("applies analysis.rules overrides: network can block, dynamic-code can be allowed", async () => {
    const strict = createAnalyzer({ analysis: { rules: { network: "block", "dynamic-code": "allow" } } });
    const net = await strict.analyze({ code: "import requests\nresults = {}\n", expectedResults: {} });
    expect(net.passed).toBe(false);
    expect(net.findings[0]).toMatchObject({ rule: "network", level: "block", line: 1 });
    const dyn = await strict.analyze({ code: 'x = eval("1")\nresults = {}\n', expectedResults: {} });
    expect(dyn.findings).toEqual([]);
    expect(dyn.passed).toBe(true);
  });

  it("a warn-level rule does not fail the analysis, a block-level one does", async () => {
    const warn = await run("while True:\n    pass\nresults = {}\n");
    expect(warn.passed).toBe(true);
    expect(warn.findings).toEqual([expect.objectContaining({ rule: "unbounded-loop", level: "warn", line: 1 })]);
    const block = await run('import os\nos.system("ls")\nresults = {}\n');
    expect(block.passed).toBe(false);
    expect(formatFeedback(block)).toBe("line 2: [process-spawn] os.system() starts a process");
  });

  it("sorts findings by position and never throws on odd input", async () => {
    const r = await run("\u0000\u00ff )))(((\n" + "x = [".repeat(200));
    expect(r.passed).toBe(false);
    const lines = r.findings.map((f) => f.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it("handles non-ASCII source with correct columns", async () => {
    const r = await run('s = "é€"; import epics; epics.caput("Ä:B", 1)\n');
    expect(r.pv_writes[0]).toMatchObject({ pv: "Ä:B", line: 1, column: 25 });
  });
});
