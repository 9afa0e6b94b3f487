import type { AnalysisResult } from "@pyfleet/core";
import { describe, expect, it } from "vitest";
import { analyzeWith, resolveSettings } from "./analyzer.js";
import { loadCorpus } from "./corpus.js";
import { PythonParser } from "./parser.js";
import type { PyNode } from "./py-node.js";

/** Everything the tree copy records about a node, children included. */
function dump(n: PyNode): unknown {
  return [n.type, n.field, n.named, n.missing, n.startIndex, n.endIndex, n.row, n.column, n.children.map(dump)];
}

const stable = (r: AnalysisResult) => ({ ...r, duration_ms: 0 });

describe("native and WebAssembly parsers", () => {
  const cases = loadCorpus();
  const settings = resolveSettings({});
  // Broken variants too: error recovery (ERROR and MISSING nodes) must not differ either.
  const inputs = cases.flatMap((c) => [
    { name: c.file, code: c.code },
    { name: `${c.file} (cut)`, code: c.code.slice(0, Math.floor(c.code.length * 0.55)) },
    { name: `${c.file} (no parentheses)`, code: c.code.replaceAll("(", "") },
  ]);

  it("the native binding loads on this machine (optional dependency `tree-sitter`)", async () => {
    expect(PythonParser.nativeAvailable()).toBe(true);
    expect((await PythonParser.create("native")).engine).toBe("native");
    expect((await PythonParser.create("wasm")).engine).toBe("wasm");
    // auto takes the cheaper engine: web-tree-sitter with its direct cursor (wasm-cursor.test checks that it is direct)
    expect((await PythonParser.create("auto")).engine).toBe("wasm");
  });

  it(`give identical trees and identical analysis on every corpus snippet (${inputs.length} inputs)`, async () => {
    const native = await PythonParser.create("native");
    const wasm = await PythonParser.create("wasm");
    const differing: string[] = [];
    for (const { name, code } of inputs) {
      const a = native.parse(code);
      const b = wasm.parse(code);
      expect(dump(a.root), name).toEqual(dump(b.root));
      const ra = analyzeWith(native, { code, expectedResults: { k: null } }, settings);
      const rb = analyzeWith(wasm, { code, expectedResults: { k: null } }, settings);
      if (JSON.stringify(stable(ra)) !== JSON.stringify(stable(rb))) differing.push(name);
    }
    expect(differing).toEqual([]);
    // ~19 s when the shared 2-core machine is loaded; the unit default (20 s) is too tight for it.
  }, 120_000);

  it("agree on non-ASCII offsets (UTF-16 columns on both)", async () => {
    const code = 's = "é€😀"; import epics; epics.caput("Ä:B", 1)\n';
    for (const engine of ["native", "wasm"] as const) {
      const r = analyzeWith(await PythonParser.create(engine), { code, expectedResults: {} }, settings);
      expect(r.pv_writes[0], engine).toMatchObject({ pv: "Ä:B", line: 1, column: 27 });
    }
  });

  it("rejects an unknown engine named in PYFLEET_ANALYSIS_PARSER", () => {
    const before = process.env.PYFLEET_ANALYSIS_PARSER;
    process.env.PYFLEET_ANALYSIS_PARSER = "fast";
    try {
      expect(() => PythonParser.create()).toThrow(/PYFLEET_ANALYSIS_PARSER=fast: must be one of auto, native, wasm/);
    } finally {
      if (before === undefined) delete process.env.PYFLEET_ANALYSIS_PARSER;
      else process.env.PYFLEET_ANALYSIS_PARSER = before;
    }
  });
});
