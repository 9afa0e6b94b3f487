import type { Finding } from "@pyfleet/core";
import { type PyNode, text } from "./py-node.js";

/**
 * Python 2 forms the grammar accepts but Python 3 rejects. A Map: it is asked about every node's
 * type, and a miss on a plain object is a slow keyed load through its prototype.
 */
const PY2_NODES: ReadonlyMap<string, string> = new Map([
  ["print_statement", "print is a function in Python 3: use print(...)"],
  ["exec_statement", "exec is a function in Python 3: use exec(...)"],
]);

/** Source lines, split once per analysis, for finding snippets. */
export class SourceLines {
  private readonly lines: string[];

  constructor(src: string) {
    this.lines = src.split("\n");
  }

  /** The line of a 0-based row, trimmed and capped at 200 characters. */
  at(row: number): string {
    return (this.lines[row] ?? "").trim().slice(0, 200);
  }
}

/**
 * Syntax errors as findings (rule `syntax`, level block). tree-sitter recovers from errors, so
 * one mistake yields an ERROR node or a MISSING token; each becomes one readable finding.
 * `nodes` is the tree's nodes in document order (`ParsedModule.nodes`).
 */
export function syntaxFindings(src: string, nodes: PyNode[], lines: SourceLines): Finding[] {
  const out: Finding[] = [];
  for (const n of nodes) {
    let message: string | null = null;
    if (n.missing) message = `missing "${n.type}"`;
    else if (n.type === "ERROR") {
      const bad = text(src, n).trim().split("\n")[0]?.slice(0, 40) ?? "";
      message = bad ? `invalid syntax at "${bad}"` : "invalid syntax";
    } else message = PY2_NODES.get(n.type) ?? null;
    if (message === null) continue;
    out.push({
      rule: "syntax",
      level: "block",
      line: n.row + 1,
      column: n.column + 1,
      snippet: lines.at(n.row),
      message: `Syntax error at line ${n.row + 1}, column ${n.column + 1}: ${message}`,
    });
  }
  return out;
}
