import { describe, expect, it } from "vitest";
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

  it("keeps rows, columns and offsets of every node", async () => {
    const parser = await PythonParser.create();
    const src = "if x:\n    y = 'é'\n";
    const { root } = parser.parse(src);
    const y = root.children[0]?.children[1]?.children[0]?.children[0]?.children[0];
    expect(y && { type: y.type, row: y.row, column: y.column, text: src.slice(y.startIndex, y.endIndex) }).toEqual({ type: "identifier", row: 1, column: 4, text: "y" });
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
});
