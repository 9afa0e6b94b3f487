import { createRequire } from "node:module";
import { Language, Parser } from "web-tree-sitter";
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
    private readonly tables: Tables,
  ) {}

  /** Returns the process-wide parser, loading the WebAssembly grammar on first use. */
  static create(): Promise<PythonParser> {
    if (!shared) {
      shared = loadLanguage().then((lang) => {
        const parser = new Parser();
        parser.setLanguage(lang);
        return new PythonParser(parser, tablesOf(lang));
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

/** Type names, field names and named-ness per id, read once from the grammar. */
interface Tables {
  types: string[];
  fields: Array<string | null>;
  named: boolean[];
}

const tablesByLanguage = new WeakMap<Language, Tables>();

function tablesOf(lang: Language): Tables {
  let t = tablesByLanguage.get(lang);
  if (!t) {
    const types: string[] = [];
    const named: boolean[] = [];
    for (let id = 0; id < lang.nodeTypeCount; id++) {
      types.push(lang.nodeTypeForId(id) ?? "");
      named.push(lang.nodeTypeIsNamed(id));
    }
    const fields: Array<string | null> = [null];
    for (let id = 1; id <= lang.fieldCount; id++) fields.push(lang.fieldNameForId(id));
    t = { types, fields, named };
    tablesByLanguage.set(lang, t);
  }
  return t;
}

/** Start offsets of every line, for turning offsets into rows and columns. */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * Copies the tree with a cursor, the cheapest way to visit every node from JS: numeric ids are
 * mapped through tables, rows and columns come from the line table rather than from WebAssembly.
 * Anonymous tokens (punctuation, keywords) are left out unless they carry a field name (operators)
 * or the tree has errors (then MISSING tokens are needed for the syntax findings).
 */
function convert(cursor: Cursor, tables: Tables, source: string, hasError: boolean): PyNode {
  const starts = lineStarts(source);
  let row = 0;
  let id = 0;
  const make = (parent: PyNode | null, typeId: number): PyNode => {
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
      type: tables.types[typeId] ?? "ERROR",
      field: tables.fields[cursor.currentFieldId] ?? null,
      named: tables.named[typeId] ?? false,
      missing: hasError && cursor.nodeIsMissing,
      startIndex,
      endIndex: cursor.endIndex,
      row,
      column: startIndex - starts[row]!,
      parent,
      children: [],
    };
  };
  const root = make(null, cursor.nodeTypeId);
  let current = root;
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const typeId = cursor.nodeTypeId;
    const skip = !hasError && !tables.named[typeId] && cursor.currentFieldId === 0;
    if (!skip) {
      const node = make(current, typeId);
      current.children.push(node);
      if (cursor.gotoFirstChild()) {
        current = node;
        continue;
      }
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent() || current.parent === null) {
        cursor.delete();
        return root;
      }
      current = current.parent;
    }
  }
}
