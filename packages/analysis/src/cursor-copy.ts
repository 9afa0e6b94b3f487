import type { GrammarTables, TreeCursorLike } from "./grammar-tables.js";
import { LineIndex } from "./line-index.js";
import { createNode, NO_CHILDREN, type PyNode } from "./py-node.js";

/**
 * The node type whose children do not cover its whole range: `string_content` holds the string's
 * characters as hidden tokens the cursor never visits. (The grammar's other hidden tokens, the
 * scanner's newline, indent and dedent, are zero-width; a test compares derived ranges with read ones.)
 */
const GAPPED = "string_content";

/**
 * Copies the tree with a cursor, the cheapest way to visit every node from JS: numeric ids are
 * mapped through tables, rows and columns come from the line table rather than from the parser.
 * Every cursor call crosses into WebAssembly or native code and the calls are the whole cost of
 * the copy, so calls whose answer is already known are skipped: the field id under parents whose
 * children never have fields and of punctuation and keywords (only operator tokens carry fields), the first-child move on tokens, and the byte range of a node with
 * children (a node starts where its first child starts and ends where its last child ends, since
 * tree-sitter sizes a node as the sum of its children; not in trees with errors, where an ERROR
 * node may span skipped characters, nor in the {@link GAPPED} type). Anonymous tokens (punctuation, keywords)
 * are left out unless they carry a field name (operators) or the tree has errors (then MISSING
 * tokens are needed for the syntax findings).
 */
export function copyWithCursor(cursor: TreeCursorLike, tables: GrammarTables, source: string, hasError: boolean, nodes: PyNode[]): PyNode {
  const { types, fields, named, childFields, leaf, anonymousFields } = tables;
  const lines = new LineIndex(source);
  let id = 0;
  const make = (parent: PyNode | null, typeId: number, type: string, fieldId: number, startIndex: number): PyNode => {
    const row = lines.row(startIndex);
    const node = createNode(
      id++,
      type,
      fieldId === 0 ? null : (fields[fieldId] ?? tables.learnField(cursor, fieldId)),
      named[typeId] ?? false,
      hasError && cursor.nodeIsMissing,
      startIndex,
      // Set when the node is left: from its last child, or read here for a node without children.
      -1,
      row,
      startIndex - lines.start(row),
      parent,
    );
    nodes.push(node);
    return node;
  };
  const rootType = cursor.nodeTypeId;
  const root = make(null, rootType, types[rootType] ?? tables.learnType(cursor, rootType), 0, cursor.startIndex);
  // The root's range is read, not derived: trailing whitespace may belong to it and to no child.
  root.endIndex = cursor.endIndex;
  let current = root;
  // Whether children of `current` can have field names; kept in step with `current`.
  let withFields = childFields[rootType] ?? true;
  // Anonymous tokens that may carry a field under `current` (null: any may); kept in step with `current`.
  let anonymous = anonymousFields[rootType] ?? null;
  const fieldsAbove: boolean[] = [];
  const anonymousAbove: Array<ReadonlySet<string> | null> = [];
  if (leaf[rootType] || !cursor.gotoFirstChild()) return root;
  // Ranges are derived only in trees without errors: an ERROR node may also span skipped characters that no child covers.
  const derive = !hasError;
  // Start of the cursor's node when known without asking (a first child starts with its parent), else -1.
  let knownStart = derive ? root.startIndex : -1;
  // The node made for the cursor's node, complete with its range, or null when it was left out.
  let made: PyNode | null = null;
  for (;;) {
    const typeId = cursor.nodeTypeId;
    const type = types[typeId] ?? tables.learnType(cursor, typeId);
    // The native cursor answers undefined where web-tree-sitter answers 0 (no field).
    const fieldId = withFields && (named[typeId] || anonymous === null || anonymous.has(type) || hasError) ? cursor.currentFieldId || 0 : 0;
    made = null;
    if (hasError || named[typeId] || fieldId !== 0) {
      const node = make(current, typeId, type, fieldId, knownStart >= 0 ? knownStart : cursor.startIndex);
      if (current.children === NO_CHILDREN) current.children = [node];
      else current.children.push(node);
      if (!leaf[typeId] && cursor.gotoFirstChild()) {
        current = node;
        fieldsAbove.push(withFields);
        anonymousAbove.push(anonymous);
        withFields = childFields[typeId] ?? true;
        anonymous = anonymousFields[typeId] ?? null;
        // Type names are interned (GrammarTables), so this compares pointers, cheaper than a set lookup on every node.
        knownStart = derive && type !== GAPPED ? node.startIndex : -1;
        continue;
      }
      node.endIndex = cursor.endIndex;
      made = node;
    }
    knownStart = -1;
    // The cursor is on the last child of `current`: `current` ends where that child does.
    while (!cursor.gotoNextSibling()) {
      if (current.parent === null || !cursor.gotoParent()) return root;
      current.endIndex = made && derive && current.type !== GAPPED ? made.endIndex : cursor.endIndex;
      made = current;
      current = current.parent;
      withFields = fieldsAbove.pop() ?? true;
      anonymous = anonymousAbove.pop() ?? null;
    }
  }
}

/**
 * Visits every node once with the cursor, reading nothing: the floor under any analysis that reads
 * the whole tree through the public API (for the bench). Returns the node count.
 */
export function walkAll(c: TreeCursorLike): number {
  let nodes = 1;
  for (;;) {
    if (c.gotoFirstChild()) {
      nodes++;
      continue;
    }
    for (;;) {
      if (c.gotoNextSibling()) {
        nodes++;
        break;
      }
      if (!c.gotoParent()) return nodes;
    }
  }
}
