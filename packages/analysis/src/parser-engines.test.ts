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

describe("pyfleet's addon, native and WebAssembly parsers", () => {
  const cases = loadCorpus();
  const settings = resolveSettings({});
  // Broken variants too: error recovery (ERROR and MISSING nodes) must not differ either.
  const inputs = cases.flatMap((c) => [
    { name: c.file, code: c.code },
    { name: `${c.file} (cut)`, code: c.code.slice(0, Math.floor(c.code.length * 0.55)) },
    { name: `${c.file} (no parentheses)`, code: c.code.replaceAll("(", "") },
  ]);

  it("pyfleet's addon and the native binding load on this machine (npm ci builds both)", async () => {
    // the addon missing here means `npm ci` could not build it: the fleet would fall back to wasm, slower
    expect(PythonParser.flatUnavailable()).toBeNull();
    expect(PythonParser.nativeAvailable()).toBe(true);
    expect((await PythonParser.create("flat")).engine).toBe("flat");
    expect((await PythonParser.create("native")).engine).toBe("native");
    expect((await PythonParser.create("wasm")).engine).toBe("wasm");
    // auto takes the cheapest engine: the addon's one-call copy
    expect((await PythonParser.create("auto")).engine).toBe("flat");
  });

  it(`give identical trees and identical analysis on every corpus snippet (${inputs.length} inputs)`, async () => {
    const wasm = await PythonParser.create("wasm");
    const others = [await PythonParser.create("flat"), await PythonParser.create("native")];
    const differing: string[] = [];
    for (const { name, code } of inputs) {
      const b = wasm.parse(code);
      const rb = JSON.stringify(stable(analyzeWith(wasm, { code, expectedResults: { k: null } }, settings)));
      for (const other of others) {
        expect(dump(other.parse(code).root), `${other.engine}: ${name}`).toEqual(dump(b.root));
        const ra = analyzeWith(other, { code, expectedResults: { k: null } }, settings);
        if (JSON.stringify(stable(ra)) !== rb) differing.push(`${other.engine}: ${name}`);
      }
    }
    expect(differing).toEqual([]);
    // ~19 s when the shared 2-core machine is loaded; the unit default (20 s) is too tight for it.
  }, 120_000);

  it("agree on non-ASCII offsets (UTF-16 columns on both)", async () => {
    const code = 's = "é€😀"; import epics; epics.caput("Ä:B", 1)\n';
    for (const engine of ["flat", "native", "wasm"] as const) {
      const r = analyzeWith(await PythonParser.create(engine), { code, expectedResults: {} }, settings);
      expect(r.pv_writes[0], engine).toMatchObject({ pv: "Ä:B", line: 1, column: 27 });
    }
  });

  it("rejects an unknown engine named in PYFLEET_ANALYSIS_PARSER", () => {
    const before = process.env.PYFLEET_ANALYSIS_PARSER;
    process.env.PYFLEET_ANALYSIS_PARSER = "fast";
    try {
      expect(() => PythonParser.create()).toThrow(/PYFLEET_ANALYSIS_PARSER=fast: must be one of auto, flat, native, wasm/);
    } finally {
      if (before === undefined) delete process.env.PYFLEET_ANALYSIS_PARSER;
      else process.env.PYFLEET_ANALYSIS_PARSER = before;
    }
  });
});
