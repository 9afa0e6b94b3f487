import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { Language, Parser } from "web-tree-sitter";
import { loadCorpus } from "./corpus.js";
import { PythonParser } from "./parser.js";
import type { PyNode } from "./py-node.js";

/** Compact S-expression of the copy: type, field name, children. */
function shape(n: PyNode): string {
  const head = `${n.field ? `${n.field}:` : ""}${n.missing ? "MISSING " : ""}${n.type}`;
  return n.children.length > 0 ? `(${head} ${n.children.map(shape).join(" ")})` : head;
}

describe("PythonParser tree copy", () => {
  it("keeps named nodes, field names and operator tokens, drops punctuation", async () => {
    const parser = await PythonParser.create();
    const { root } = parser.parse("x = f(a + 1, k='s')\n");
    expect(shape(root)).toBe(
      "(module (expression_statement (assignment left:identifier (right:call function:identifier (arguments:argument_list (binary_operator left:identifier operator:+ right:integer) (keyword_argument name:identifier (value:string string_start string_content string_end)))))))",
    );
  });

  it("gives nodes without children one shared frozen array, and every parent its own", async () => {
    for (const engine of ["flat", "native", "wasm"] as const) {
      const { nodes } = (await PythonParser.create(engine)).parse("x = f(a, 1)\ny = [x]\n");
      const leaves = nodes.filter((n) => n.children.length === 0);
      const parents = nodes.filter((n) => n.children.length > 0);
      expect(leaves.length, engine).toBeGreaterThan(4);
      expect(new Set(leaves.map((n) => n.children)).size, engine).toBe(1);
      expect(Object.isFrozen(leaves[0]!.children), engine).toBe(true);
      expect(() => leaves[0]!.children.push(leaves[1]!), engine).toThrow(TypeError);
      expect(new Set(parents.map((n) => n.children)).size, engine).toBe(parents.length);
    }
  });

  it("keeps rows, columns and offsets of every node", async () => {
    const parser = await PythonParser.create();
    const src = "if x:\n    y = 'é'\n";
    const { root } = parser.parse(src);
    const y = root.children[0]?.children[1]?.children[0]?.children[0]?.children[0];
    expect(y && { type: y.type, row: y.row, column: y.column, text: src.slice(y.startIndex, y.endIndex) }).toEqual({ type: "identifier", row: 1, column: 4, text: "y" });
  });

  it("lists every node of the tree in document order, each at its id (both engines, clean and broken code)", async () => {
    for (const engine of ["flat", "native", "wasm"] as const) {
      const parser = await PythonParser.create(engine);
      for (const code of ["class A:\n    def f(self, x=[1, 2]):\n        return lambda y: x + y\n", "def f(:\n  g(1,\n"]) {
        const { root, nodes } = parser.parse(code);
        const preorder: PyNode[] = [];
        const visit = (n: PyNode) => {
          preorder.push(n);
          n.children.forEach(visit);
        };
        visit(root);
        expect(nodes.length, engine).toBe(preorder.length);
        expect(nodes.every((n, i) => n === preorder[i] && n.id === i), engine).toBe(true);
      }
    }
  });

  it("keeps every token, MISSING ones included, when the code has errors", async () => {
    const parser = await PythonParser.create();
    const { root } = parser.parse("def f(:\n  pass\n");
    const all: PyNode[] = [];
    const visit = (n: PyNode) => {
      all.push(n);
      n.children.forEach(visit);
    };
    visit(root);
    expect(all.some((n) => n.missing && n.type === ")")).toBe(true);
    expect(all.some((n) => n.type === "(")).toBe(true);
    expect(all.some((n) => n.type === "pass")).toBe(true);
  });

  it("derives the same byte ranges and field names the parser reports for every node (corpus, strings with escapes, broken code)", async () => {
    // The copy reads a node's start from its first child and its end from its last child, and asks
    // for field names only where the grammar allows one; compare every copied node with what web-tree-sitter reports.
    await Parser.init();
    const raw = new Parser();
    raw.setLanguage(await Language.load(createRequire(import.meta.url).resolve("tree-sitter-python/tree-sitter-python.wasm")));
    const inputs = loadCorpus().flatMap((c) => [c.code, `def w():\n${c.code.replace(/^/gm, "  ")}`, c.code.slice(0, Math.floor(c.code.length / 2))]);
    inputs.push('s = "a\\nb\\x41c" + f"{x!r:>{w}}\\t" + b"\\0" + """q\\\n"""\n', "x = 1   # c\n\n\n   \n", "if a:\n    b\n  # c\nd\n");
    const missing: string[] = [];
    for (const engine of ["flat", "native", "wasm"] as const) {
      const parser = await PythonParser.create(engine);
      for (const code of inputs) {
        const tree = raw.parse(code);
        if (!tree) throw new Error("no tree");
        const ranges = new Set<string>();
        const c = tree.walk();
        for (let more = true; more; ) {
          ranges.add(`${c.currentFieldName ?? ""}:${c.nodeType}@${c.startIndex}-${c.endIndex}`);
          if (c.gotoFirstChild()) continue;
          while (!c.gotoNextSibling()) if (!c.gotoParent()) {
            more = false;
            break;
          }
        }
        c.delete();
        tree.delete();
        const visit = (n: PyNode) => {
          const key = `${n.field ?? ""}:${n.type}@${n.startIndex}-${n.endIndex}`;
          if (!ranges.has(key)) missing.push(`${engine} ${key} in ${JSON.stringify(code.slice(0, 40))}`);
          n.children.forEach(visit);
        };
        visit(parser.parse(code).root);
      }
    }
    expect(missing.slice(0, 5)).toEqual([]);
  }, 60_000);
});
