import { describe, expect, it } from "vitest";
import { loadCorpus } from "./corpus.js";
import { GrammarTables } from "./grammar-tables.js";
import { loadFlatParser } from "./flat-tree.js";
import { PythonParser } from "./parser.js";
import type { PyNode } from "./py-node.js";

// pyfleet's addon parses in an arena emptied after every call (native/tree_flat.c): these tests
// push it past its first chunk, through many calls and through broken code, against web-tree-sitter.

function dump(n: PyNode): unknown {
  return [n.type, n.field, n.named, n.missing, n.startIndex, n.endIndex, n.row, n.column, n.children.map(dump)];
}

/** ~`lines` lines of varied Python from the corpus, repeated. */
function bigSource(lines: number): string {
  const corpus = loadCorpus().map((c) => c.code);
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < lines; i++) {
    const code = corpus[i % corpus.length]!;
    out.push(code);
    n += code.split("\n").length;
  }
  return out.join("\n");
}

describe("the flat engine's addon", () => {
  it("parses a source whose tree outgrows the arena's first chunk, and a small one after it, as web-tree-sitter does", async () => {
    const flat = await PythonParser.create("flat");
    const wasm = await PythonParser.create("wasm");
    const big = bigSource(30_000);
    expect(big.length).toBeGreaterThan(500_000);
    for (const code of [big, "x = 1\n", `${big}\ndef broken(:\n`, "import epics\nepics.caput('A:B', 1)\n"]) {
      const a = flat.parse(code);
      const b = wasm.parse(code);
      expect(a.nodes.length).toBe(b.nodes.length);
      expect(dump(a.root)).toEqual(dump(b.root));
    }
  }, 60_000);

  it("walks a tree nested deeper than a C stack of recursive calls would allow, as web-tree-sitter does", async () => {
    const flat = await PythonParser.create("flat");
    const wasm = await PythonParser.create("wasm");
    for (const code of [`x = ${"(".repeat(20_000)}1${")".repeat(20_000)}\n`, `y = ${"[".repeat(20_000)}\n`, `${"if x:\n ".repeat(2_000)}pass\n`]) {
      const a = flat.parse(code);
      const b = wasm.parse(code);
      expect(a.nodes.map((n) => [n.type, n.field, n.startIndex, n.endIndex, n.parent?.id ?? -1])).toEqual(
        b.nodes.map((n) => [n.type, n.field, n.startIndex, n.endIndex, n.parent?.id ?? -1]),
      );
    }
  }, 60_000);

  it("gives back what a big parse took: resident memory does not grow over many of them", async () => {
    const flat = await PythonParser.create("flat");
    const big = bigSource(30_000);
    flat.parseOnly(big);
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 15; i++) flat.parseOnly(big);
    // one parse of this source takes tens of MB in the arena; were it kept per call, 15 calls would show
    expect((process.memoryUsage().rss - before) / 2 ** 20).toBeLessThan(64);
  }, 60_000);

  it("rejects a source that is not a string with a TypeError, and parses on afterwards", () => {
    const parser = loadFlatParser(new GrammarTables());
    expect(() => parser.parse(42 as unknown as string, [])).toThrow(TypeError);
    expect(() => parser.parse(42 as unknown as string, [])).toThrow(/the source must be a string/);
    const nodes: PyNode[] = [];
    expect(parser.parse("y = 2\n", nodes).type).toBe("module");
    expect(nodes.map((n) => n.type)).toEqual(["module", "expression_statement", "assignment", "identifier", "integer"]);
  });
});
