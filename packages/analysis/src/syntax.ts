import type { Finding } from "@pyfleet/core";
import { KIND } from "./node-kinds.js";
import { text } from "./py-node.js";
import type { ScopedNodes } from "./scopes.js";

/** Python 2 forms the grammar accepts but Python 3 rejects (their nodes are {@link KIND.syntax}). */
const PY2_NODES: ReadonlyMap<string, string> = new Map([
  ["print_statement", "print is a function in Python 3: use print(...)"],
  ["exec_statement", "exec is a function in Python 3: use exec(...)"],
]);

/**
 * Source lines for finding snippets: where each line starts, found once per analysis, and a line
 * sliced only when a finding asks for it (instead of a string for every line of the source).
 */
export class SourceLines {
  /** Offset of each line's first character; line `i` ends one before `starts[i + 1]` (its newline). */
  private readonly starts: number[] = [0];

  constructor(private readonly src: string) {
    for (let i = src.indexOf("\n"); i >= 0; i = src.indexOf("\n", i + 1)) this.starts.push(i + 1);
  }

  /** The line of a 0-based row (as `src.split("\n")[row]`), trimmed and capped at 200 characters. */
  at(row: number): string {
    const from = this.starts[row];
    if (from === undefined) return "";
    const next = this.starts[row + 1];
    return this.src.slice(from, next === undefined ? this.src.length : next - 1).trim().slice(0, 200);
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
