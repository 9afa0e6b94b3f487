import { createRequire } from "node:module";
import { Language, Parser } from "web-tree-sitter";
import { type GrammarTables, grammarTables } from "./grammar-tables.js";
import type { PyNode } from "./py-node.js";

const require = createRequire(import.meta.url);

let languagePromise: Promise<Language> | null = null;

/** Loads the Python grammar once per process; concurrent callers share the same promise. */
function loadLanguage(): Promise<Language> {
  if (!languagePromise) {
    languagePromise = (async () => {
      await Parser.init();
      return Language.load(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
    })();
    languagePromise.catch(() => {
      languagePromise = null;
    });
  }
  return languagePromise;
}

/** A parsed module: the plain tree plus the source it came from. */
export interface ParsedModule {
  source: string;
  root: PyNode;
}

let shared: Promise<PythonParser> | null = null;

/** Python parser on web-tree-sitter. Create it with {@link PythonParser.create}. */
export class PythonParser {
  private constructor(
    private readonly parser: Parser,
    private readonly tables: GrammarTables,
  ) {}

  /** Returns the process-wide parser, loading the WebAssembly grammar on first use. */
  static create(): Promise<PythonParser> {
    if (!shared) {
      shared = loadLanguage().then((lang) => {
        const parser = new Parser();
        parser.setLanguage(lang);
        return new PythonParser(parser, grammarTables(lang));
      });
      shared.catch(() => {
        shared = null;
      });
    }
    return shared;
  }

  /** Parses `source` and returns a plain-object copy of the tree (error-tolerant). */
  parse(source: string): ParsedModule {
    const tree = this.parser.parse(source);
    if (!tree) throw new Error("tree-sitter returned no tree");
    try {
      return { source, root: convert(tree.walk(), this.tables, source, tree.rootNode.hasError) };
    } finally {
      tree.delete();
    }
  }
}

type Cursor = ReturnType<NonNullable<ReturnType<Parser["parse"]>>["walk"]>;

/** Start offsets of every line, for turning offsets into rows and columns. */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * Copies the tree with a cursor, the cheapest way to visit every node from JS: numeric ids are
 * mapped through tables, rows and columns come from the line table rather than from WebAssembly.
 * Every cursor call crosses into WebAssembly, so calls whose answer the grammar tables already
 * know are skipped: the field id under parents whose children never have fields, the first-child
 * move on tokens. Anonymous tokens (punctuation, keywords) are left out unless they carry a field
 * name (operators) or the tree has errors (then MISSING tokens are needed for the syntax findings).
 */
function convert(cursor: Cursor, tables: GrammarTables, source: string, hasError: boolean): PyNode {
  const { types, fields, named, childFields, leaf } = tables;
  const starts = lineStarts(source);
  let row = 0;
  let id = 0;
  const make = (parent: PyNode | null, typeId: number, fieldId: number): PyNode => {
    const startIndex = cursor.startIndex;
    if (startIndex < (starts[row] ?? 0) || startIndex >= (starts[row + 1] ?? Number.POSITIVE_INFINITY)) {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= startIndex) lo = mid;
        else hi = mid - 1;
      }
      row = lo;
    }
    return {
      id: id++,
      type: types[typeId] ?? "ERROR",
      field: fields[fieldId] ?? null,
      named: named[typeId] ?? false,
      missing: hasError && cursor.nodeIsMissing,
      startIndex,
      endIndex: cursor.endIndex,
      row,
      column: startIndex - starts[row]!,
      parent,
      children: [],
    };
  };
  const rootType = cursor.nodeTypeId;
  const root = make(null, rootType, 0);
  let current = root;
  // Whether children of `current` can have field names; kept in step with `current`.
  let withFields = childFields[rootType] ?? true;
  const fieldsAbove: boolean[] = [];
  if (leaf[rootType] || !cursor.gotoFirstChild()) return root;
  for (;;) {
    const typeId = cursor.nodeTypeId;
    const fieldId = withFields ? cursor.currentFieldId : 0;
    if (hasError || named[typeId] || fieldId !== 0) {
      const node = make(current, typeId, fieldId);
      current.children.push(node);
      if (!leaf[typeId] && cursor.gotoFirstChild()) {
        current = node;
        fieldsAbove.push(withFields);
        withFields = childFields[typeId] ?? true;
        continue;
      }
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent() || current.parent === null) {
        cursor.delete();
        return root;
      }
      current = current.parent;
      withFields = fieldsAbove.pop() ?? true;
    }
  }
}
