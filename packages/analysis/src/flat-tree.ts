import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { GrammarTables } from "./grammar-tables.js";
import { LineIndex } from "./line-index.js";
import { createNode, NO_CHILDREN, type PyNode } from "./py-node.js";

const require = createRequire(import.meta.url);

/** Where `npm ci` builds the addon (`native/build.mjs`, the package's install script). */
export const FLAT_ADDON_PATH = new URL("../native/build/Release/pyfleet_tree_flat.node", import.meta.url).pathname;

/** pyfleet's own tree-sitter addon (`native/tree_flat.c`): the whole tree in one call. */
interface FlatAddon {
  createParser(language: unknown): FlatHandle;
  names(parser: FlatHandle): { types: Array<[string, boolean] | undefined>; fields: Array<string | null> };
  /** `[hasError, count, ...count records of RECORD_INTS]`, the layout in `native/tree_flat.c`. */
  parse(parser: FlatHandle, source: string): Int32Array;
  parseOnly(parser: FlatHandle, source: string): void;
  readonly RECORD_INTS: number;
}

/** The addon's parser (an opaque native handle). */
type FlatHandle = { readonly __flatParser: unique symbol };

const HEADER_INTS = 2;
const RECORD_INTS = 4;
const DEPTH_MASK = (1 << 30) - 1;
const MISSING = 1 << 30;

/**
 * The grammar's parser in pyfleet's addon, with the grammar tables filled from the addon's names.
 * @throws Error when the addon is not built (see {@link FLAT_ADDON_PATH}) or cannot read the grammar.
 */
export function loadFlatParser(tables: GrammarTables): FlatParser {
  if (!existsSync(FLAT_ADDON_PATH)) {
    throw new Error(`pyfleet's tree-sitter addon is not built (${FLAT_ADDON_PATH}); build it with \`npm rebuild @pyfleet/analysis\``);
  }
  const addon = require(FLAT_ADDON_PATH) as FlatAddon;
  if (addon.RECORD_INTS !== RECORD_INTS) throw new Error(`the tree-sitter addon writes ${addon.RECORD_INTS} ints per node, this code reads ${RECORD_INTS}: rebuild it`);
  const handle = addon.createParser((require("tree-sitter-python") as { language: unknown }).language);
  const { types, fields } = addon.names(handle);
  // ERROR comes last (the addon writes tree-sitter's 65535 as the symbol count), so every table stays a dense array
  types.forEach((entry, id) => {
    if (entry) tables.learnName(id, entry[0], entry[1]);
  });
  fields.forEach((name, id) => {
    if (id > 0) tables.learnFieldName(id, name);
  });
  return new FlatParser(addon, handle, tables);
}

/** Parses with the addon and copies its table into {@link PyNode}s, as the cursor copy in `parser.ts` does. */
export class FlatParser {
  constructor(
    private readonly addon: FlatAddon,
    private readonly handle: FlatHandle,
    private readonly tables: GrammarTables,
  ) {}

  /** Parses and frees the tree (the bench's floor). */
  parseOnly(source: string): void {
    this.addon.parseOnly(this.handle, source);
  }

  /** The addon's table for `source`: the parse and one read of every node, in one call (the bench's floor). */
  table(source: string): Int32Array {
    return this.addon.parse(this.handle, source);
  }

  /** A plain copy of the tree of `source`; `nodes` receives every node in document order. */
  parse(source: string, nodes: PyNode[]): PyNode {
    return convertTable(this.table(source), this.tables, source, nodes);
  }
}

/**
 * Builds the plain tree from the addon's table with the cursor copy's rules (`parser.ts`
 * `convert`), so both give the same tree: anonymous tokens are left out unless they carry a field
 * name or the tree has errors, tokens' children are not copied, a field id counts only where the
 * cursor copy would have asked for it. Ranges need no deriving here: the table has them all.
 */
function convertTable(table: Int32Array, tables: GrammarTables, source: string, nodes: PyNode[]): PyNode {
  const { types, fields, named, childFields, leaf, anonymousFields } = tables;
  const hasError = table[0] === 1;
  const count = table[1] ?? 0;
  const lines = new LineIndex(source);
  let id = 0;
  const make = (parent: PyNode | null, type: string, fieldId: number, at: number): PyNode => {
    const startIndex = table[at + 1]!;
    const row = lines.row(startIndex);
    const node = createNode(
      id++,
      type,
      fieldId === 0 ? null : (fields[fieldId] ?? null),
      named[table[at]! & 0xffff] ?? false,
      hasError && (table[at + 3]! & MISSING) !== 0,
      startIndex,
      table[at + 2]!,
      row,
      startIndex - lines.start(row),
      parent,
    );
    nodes.push(node);
    return node;
  };
  const rootType = table[HEADER_INTS]! & 0xffff;
  const root = make(null, types[rootType] ?? "ERROR", 0, HEADER_INTS);
  if (leaf[rootType]) return root;
  // The kept node at each depth on the way down, and its type id.
  const above: PyNode[] = [root];
  const aboveType: number[] = [rootType];
  // Descendants deeper than this are not copied (below a token or a left-out node); -1: none.
  let skipBelow = -1;
  const end = HEADER_INTS + count * RECORD_INTS;
  for (let at = HEADER_INTS + RECORD_INTS; at < end; at += RECORD_INTS) {
    const depth = table[at + 3]! & DEPTH_MASK;
    if (skipBelow >= 0) {
      if (depth > skipBelow) continue;
      skipBelow = -1;
    }
    const parent = above[depth - 1]!;
    const parentType = aboveType[depth - 1]!;
    const word = table[at]!;
    const typeId = word & 0xffff;
    const type = types[typeId] ?? "ERROR";
    const anonymous = anonymousFields[parentType] ?? null;
    const fieldId =
      (childFields[parentType] ?? true) && (named[typeId] || anonymous === null || anonymous.has(type) || hasError) ? word >>> 16 : 0;
    if (hasError || named[typeId] || fieldId !== 0) {
      const node = make(parent, type, fieldId, at);
      if (parent.children === NO_CHILDREN) parent.children = [node];
      else parent.children.push(node);
      if (leaf[typeId]) skipBelow = depth;
      above[depth] = node;
      aboveType[depth] = typeId;
    } else {
      skipBelow = depth;
    }
  }
  return root;
}
