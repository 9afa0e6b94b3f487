import { createRequire } from "node:module";
import { describe, expect, it, vi } from "vitest";
import { Language, Parser, type TreeCursor } from "web-tree-sitter";
import { loadCorpus } from "./corpus.js";
import type { TreeCursorLike } from "./grammar-tables.js";
import { PythonParser } from "./parser.js";
import { type CursorHandle, initWasm, WasmDirectCursor } from "./wasm-cursor.js";

/** Everything the tree copy can ask of a cursor, for every node, in the order a depth-first walk meets them. */
function record(c: TreeCursorLike): string[] {
  const out: string[] = [];
  for (let more = true; more; ) {
    out.push(`${c.nodeTypeId}:${c.nodeType}:${c.nodeIsNamed}:${c.nodeIsMissing}:${c.currentFieldId}:${c.currentFieldName}:${c.startIndex}-${c.endIndex}`);
    if (c.gotoFirstChild()) continue;
    while (!c.gotoNextSibling())
      if (!c.gotoParent()) {
        more = false;
        break;
      }
  }
  return out;
}

describe("WasmDirectCursor", () => {
  it("gets web-tree-sitter's module exports when it initialises web-tree-sitter first", async () => {
    expect(await initWasm()).not.toBeNull();
  });

  it("reports what web-tree-sitter's own cursor reports, node by node (corpus, cut, broken, non-ASCII)", async () => {
    const module = await initWasm();
    if (!module) throw new Error("no module");
    const lang = await Language.load(createRequire(import.meta.url).resolve("tree-sitter-python/tree-sitter-python.wasm"));
    const parser = new Parser();
    parser.setLanguage(lang);
    const inputs = loadCorpus().flatMap((c) => [c.code, c.code.slice(0, Math.floor(c.code.length * 0.55)), c.code.replaceAll("(", "")]);
    inputs.push('s = "é€😀"\ndef f(:\n  pass\n');
    let nodes = 0;
    for (const code of inputs) {
      const tree = parser.parse(code);
      if (!tree) throw new Error("no tree");
      const publicCursor = tree.walk();
      const expected = record(publicCursor);
      publicCursor.delete();
      const cursor: TreeCursor = tree.walk();
      const direct = new WasmDirectCursor(module, (tree as unknown as { 0: number })[0], cursor as unknown as CursorHandle, lang).open();
      expect(record(direct), code.slice(0, 60)).toEqual(expected);
      direct.close();
      cursor.delete();
      tree.delete();
      nodes += expected.length;
    }
    expect(nodes).toBeGreaterThan(10_000);
  }, 60_000);

  it("is what the wasm engine's tree copy walks with (no transfer-buffer copy per cursor call)", async () => {
    const module = await initWasm();
    if (!module) throw new Error("no module");
    const parser = await PythonParser.create("wasm");
    const code = "import epics\nfor i in range(3):\n    epics.caput(f'A:{i}', i * 2)\n".repeat(20);
    // web-tree-sitter's own cursor writes its state with four setValue calls before every call.
    const setValue = vi.spyOn(module, "setValue");
    try {
      const { root } = parser.parse(code);
      expect(root.children.length).toBe(40);
      expect(setValue.mock.calls.length).toBeLessThan(20);
    } finally {
      setValue.mockRestore();
    }
  });
});
