import type { Finding } from "@pyfleet/core";
import { KIND } from "./node-kinds.js";
import { text } from "./py-node.js";
import type { ScopedNodes } from "./scopes.js";

/** Python 2 forms the grammar accepts but Python 3 rejects (their nodes are {@link KIND.syntax}). */
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
 * `scoped` is the tree's nodes in document order with their kinds (see `buildScopes`).
 */
export function syntaxFindings(src: string, scoped: ScopedNodes, lines: SourceLines): Finding[] {
  const { nodes, kinds } = scoped;
  const out: Finding[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    let message: string | null = null;
    if (n.missing) message = `missing "${n.type}"`;
    else if (!(kinds[i]! & KIND.syntax)) continue;
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
