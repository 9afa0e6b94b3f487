import { createRequire } from "node:module";
import { PyfleetError } from "@pyfleet/core";
import { Language, Parser } from "web-tree-sitter";
import { GrammarTables, type TreeCursorLike } from "./grammar-tables.js";
import type { PyNode } from "./py-node.js";
import { type CursorHandle, initWasm, WasmDirectCursor } from "./wasm-cursor.js";

const require = createRequire(import.meta.url);

/**
 * Which tree-sitter runtime parses: `native` is the Node binding (`tree-sitter`, an optional
 * dependency with prebuilt binaries, built by node-gyp where none fits), `wasm` is web-tree-sitter.
 * Both run the same grammar (`tree-sitter-python`) and give the same trees.
 */
export type ParserEngine = "native" | "wasm";
/**
 * `auto` takes web-tree-sitter with its direct cursor (the cheapest: 3-4 ms less CPU than the
 * native binding per 1,000 lines, docs/performance.md "Session 9 (passes)"), else the native
 * binding when it loads, else web-tree-sitter's public cursor.
 */
export type ParserEngineChoice = ParserEngine | "auto";

export const PARSER_ENGINES: readonly ParserEngineChoice[] = ["auto", "native", "wasm"];

/** Environment variable that picks the engine of {@link PythonParser.create} when no engine is passed. */
export const PARSER_ENV = "PYFLEET_ANALYSIS_PARSER";

/** A parsed module: the plain tree plus the source it came from. */
export interface ParsedModule {
  source: string;
  root: PyNode;
  /** Every node of the tree in document order (`nodes[i].id === i`), so passes over all nodes need no tree walk. */
  nodes: PyNode[];
}

/** One parse as the tree copy sees it, whatever the engine. */
interface RawTree {
  cursor: TreeCursorLike;
  hasError: boolean;
  dispose(): void;
}

type Backend = (source: string) => RawTree;

/** A web-tree-sitter tree as far as its handle is concerned: the tree's address in WebAssembly memory (an internal field). */
interface WasmTreeHandle {
  0: number;
}

async function wasmBackend(): Promise<Backend> {
  const module = await initWasm();
  const lang = await Language.load(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
  const parser = new Parser();
  parser.setLanguage(lang);
  return (source) => {
    const tree = parser.parse(source);
    if (!tree) throw new Error("tree-sitter returned no tree");
    const hasError = tree.rootNode.hasError;
    const cursor = tree.walk();
    // Without the exports (web-tree-sitter initialised before with other options) the public cursor works, slower.
    const direct = module ? new WasmDirectCursor(module, (tree as unknown as WasmTreeHandle)[0], cursor as unknown as CursorHandle, lang).open() : null;
    return {
      cursor: direct ?? cursor,
      hasError,
      dispose: () => {
        direct?.close();
        cursor.delete();
        tree.delete();
      },
    };
  };
}

/** The native binding's parser, as far as it is used here (the package ships CommonJS without ESM types). */
interface NativeParser {
  setLanguage(language: unknown): void;
  parse(source: string, oldTree?: null, options?: { bufferSize?: number }): { walk(): TreeCursorLike; rootNode: { hasError: boolean } };
}

function nativeBackend(): Backend {
  const NativeParserClass = require("tree-sitter") as new () => NativeParser;
  const parser = new NativeParserClass();
  parser.setLanguage(require("tree-sitter-python"));
  // The native tree lives until garbage collection; there is nothing to free by hand.
  return (source) => {
    const tree = parser.parse(source, null, { bufferSize: Math.max(1024, source.length + 1) });
    return { cursor: tree.walk(), hasError: tree.rootNode.hasError, dispose: () => {} };
  };
}

const shared = new Map<ParserEngineChoice, Promise<PythonParser>>();

function engineFromEnv(): ParserEngineChoice {
  const value = process.env[PARSER_ENV]?.trim();
  if (!value) return "auto";
  if ((PARSER_ENGINES as readonly string[]).includes(value)) return value as ParserEngineChoice;
  throw new PyfleetError("CONFIG_INVALID", `${PARSER_ENV}=${value}: must be one of ${PARSER_ENGINES.join(", ")}`);
}

/** Python parser on tree-sitter (native binding or WebAssembly). Create it with {@link PythonParser.create}. */
export class PythonParser {
  private readonly tables = new GrammarTables();

  private constructor(
    /** The runtime that parses. */
    readonly engine: ParserEngine,
    private readonly backend: Backend,
  ) {}

  /**
   * Returns the process-wide parser of an engine (default: `PYFLEET_ANALYSIS_PARSER`, else
   * `auto`, see {@link ParserEngineChoice}).
   * @throws PyfleetError `CONFIG_INVALID` for an unknown engine name; the load error when `native` was asked for and does not load.
   */
  static create(engine: ParserEngineChoice = engineFromEnv()): Promise<PythonParser> {
    let parser = shared.get(engine);
    if (!parser) {
      parser = PythonParser.load(engine);
      shared.set(engine, parser);
      parser.catch(() => shared.delete(engine));
    }
    return parser;
  }

  /** True when the native binding loads on this machine. */
  static nativeAvailable(): boolean {
    try {
      nativeBackend();
      return true;
    } catch {
      return false;
    }
  }

  private static async load(engine: ParserEngineChoice): Promise<PythonParser> {
    if (engine === "native") return new PythonParser("native", nativeBackend());
    // auto: the native binding only beats web-tree-sitter without its direct cursor
    if (engine === "auto" && (await initWasm()) === null) {
      try {
        return new PythonParser("native", nativeBackend());
      } catch {
        // no binding for this platform: the public cursor below still parses
      }
    }
    return new PythonParser("wasm", await wasmBackend());
  }

  /** Parses `source` and frees the tree without copying it: the floor under any analysis (for the bench). */
  parseOnly(source: string): void {
    this.backend(source).dispose();
  }

  /**
   * Parses `source` and visits every node once with a cursor, reading nothing: the floor under any
   * analysis that reads the whole tree through the public API (for the bench). Returns the node count.
   */
  parseAndWalk(source: string): number {
    const raw = this.backend(source);
    try {
      const c = raw.cursor;
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
    } finally {
      raw.dispose();
    }
  }

  /** Parses `source` and returns a plain-object copy of the tree with its nodes in document order (error-tolerant). */
  parse(source: string): ParsedModule {
    const raw = this.backend(source);
    try {
      const nodes: PyNode[] = [];
      return { source, root: convert(raw.cursor, this.tables, source, raw.hasError, nodes), nodes };
    } finally {
      raw.dispose();
    }
  }
}

/** Start offsets of every line, for turning offsets into rows and columns. */
function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * The node type whose children do not cover its whole range: `string_content` holds the string's
 * characters as hidden tokens the cursor never visits. (The grammar's other hidden tokens, the
 * scanner's newline, indent and dedent, are zero-width; a test compares derived ranges with read ones.)
 */
const GAPPED = "string_content";

/**
 * The children of every node without any (about half of a tree's nodes), shared instead of an
 * empty array each; frozen, so code that tried to add to it would throw rather than corrupt the tree.
 */
const NO_CHILDREN: PyNode[] = Object.freeze([]) as unknown as PyNode[];

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
function convert(cursor: TreeCursorLike, tables: GrammarTables, source: string, hasError: boolean, nodes: PyNode[]): PyNode {
  const { types, fields, named, childFields, leaf, anonymousFields } = tables;
  const starts = lineStarts(source);
  let row = 0;
  let id = 0;
  const make = (parent: PyNode | null, typeId: number, type: string, fieldId: number, startIndex: number): PyNode => {
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
    const node: PyNode = {
      id: id++,
      type,
      field: fieldId === 0 ? null : (fields[fieldId] ?? tables.learnField(cursor, fieldId)),
      named: named[typeId] ?? false,
      missing: hasError && cursor.nodeIsMissing,
      startIndex,
      // Set when the node is left: from its last child, or read here for a node without children.
      endIndex: -1,
      row,
      column: startIndex - starts[row]!,
      parent,
      children: NO_CHILDREN,
    };
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
