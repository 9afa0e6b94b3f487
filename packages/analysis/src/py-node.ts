/**
 * A plain-JS copy of the tree-sitter syntax tree. Walking web-tree-sitter nodes crosses into
 * WebAssembly on every property access; the analyzer walks the tree several times (scope
 * collection, a fixpoint over bindings, detection), so it converts once and walks plain objects.
 */
export interface PyNode {
  /** Unique per tree, in document order; used as a map key. */
  id: number;
  type: string;
  /** Field name in the parent (`function`, `arguments`, `left`, ...), or null. */
  field: string | null;
  named: boolean;
  missing: boolean;
  startIndex: number;
  endIndex: number;
  /** 0-based row and column (UTF-16 code units, like the source string). */
  row: number;
  column: number;
  parent: PyNode | null;
  children: PyNode[];
}

/**
 * The children of every node without any (about half of a tree's nodes), shared instead of an
 * empty array each; frozen, so code that tried to add to it would throw rather than corrupt the tree.
 */
export const NO_CHILDREN: PyNode[] = Object.freeze([]) as unknown as PyNode[];

/**
 * A node without children yet. Both tree copies build nodes here: one object shape for every
 * node, so the passes' property reads stay monomorphic whichever engine parsed.
 */
export function createNode(
  id: number,
  type: string,
  field: string | null,
  named: boolean,
  missing: boolean,
  startIndex: number,
  endIndex: number,
  row: number,
  column: number,
  parent: PyNode | null,
): PyNode {
  return { id, type, field, named, missing, startIndex, endIndex, row, column, parent, children: NO_CHILDREN };
}

/** First child with the given field name. */
export function field(node: PyNode, name: string): PyNode | undefined {
  const children = node.children;
  for (let i = 0; i < children.length; i++) if (children[i]!.field === name) return children[i];
  return undefined;
}

/** All children with the given field name. */
export function fields(node: PyNode, name: string): PyNode[] {
  const out: PyNode[] = [];
  for (const c of node.children) if (c.field === name) out.push(c);
  return out;
}

/** Named children (skips punctuation and keywords). */
export function namedChildren(node: PyNode): PyNode[] {
  const out: PyNode[] = [];
  for (const c of node.children) if (c.named) out.push(c);
  return out;
}

/** Source text of a node. */
export function text(src: string, node: PyNode): string {
  return src.slice(node.startIndex, node.endIndex);
}

/** True when the source text of a node is `expected` (compared in place, without slicing). */
export function textIs(src: string, node: PyNode, expected: string): boolean {
  return node.endIndex - node.startIndex === expected.length && src.startsWith(expected, node.startIndex);
}

/** Calls `visit` on every node of the subtree in document order. */
export function walk(node: PyNode, visit: (n: PyNode) => void): void {
  const stack: PyNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    visit(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
}
