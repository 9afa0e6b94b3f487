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
  private constructor(private readonly parser: Parser) {}

  /** Returns the process-wide parser, loading the WebAssembly grammar on first use. */
  static create(): Promise<PythonParser> {
    if (!shared) {
      shared = loadLanguage().then((lang) => {
        const parser = new Parser();
        parser.setLanguage(lang);
        return new PythonParser(parser);
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
      return { source, root: convert(tree.walk()) };
    } finally {
      tree.delete();
    }
  }
}

type Cursor = ReturnType<NonNullable<ReturnType<Parser["parse"]>>["walk"]>;

/** Copies the tree with a cursor (the cheapest way to visit every node from JS). */
function convert(cursor: Cursor): PyNode {
  let id = 0;
  const make = (parent: PyNode | null): PyNode => ({
    id: id++,
    type: cursor.nodeType,
    field: cursor.currentFieldName,
    named: cursor.nodeIsNamed,
    missing: cursor.nodeIsMissing,
    startIndex: cursor.startIndex,
    endIndex: cursor.endIndex,
    row: cursor.startPosition.row,
    column: cursor.startPosition.column,
    parent,
    children: [],
  });
  const root = make(null);
  let current = root;
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const node = make(current);
    current.children.push(node);
    if (cursor.gotoFirstChild()) {
      current = node;
      continue;
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
