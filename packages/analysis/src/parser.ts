import { createRequire } from "node:module";
import { PyfleetError } from "@pyfleet/core";
import { Language, Parser } from "web-tree-sitter";
import { copyWithCursor, walkAll } from "./cursor-copy.js";
import { loadFlatParser } from "./flat-tree.js";
import { GrammarTables, type TreeCursorLike } from "./grammar-tables.js";
import type { PyNode } from "./py-node.js";
import { type CursorHandle, initWasm, WasmDirectCursor } from "./wasm-cursor.js";

const require = createRequire(import.meta.url);

/**
 * Which tree-sitter runtime parses: `flat` is tree-sitter's C library in pyfleet's own addon
 * (`native/tree_flat.c`, built by `npm ci`), which hands the whole tree over in one call; `native`
 * is the Node binding (`tree-sitter`, an optional dependency with prebuilt binaries, built by
 * node-gyp where none fits) read with its cursor; `wasm` is web-tree-sitter. All run the same
 * grammar (`tree-sitter-python`) and give the same trees.
 */
export type ParserEngine = "flat" | "native" | "wasm";
/**
 * `auto` takes the `flat` addon (parse and copy in ~6-7 ms of the ~10.5 ms web-tree-sitter's
 * cursor copy takes per 1,000 lines, docs/performance.md "Session 11 (flat)"), else
 * web-tree-sitter with its direct cursor (3-4 ms less CPU than the native binding's cursor), else
 * the native binding when it loads, else web-tree-sitter's public cursor.
 */
export type ParserEngineChoice = ParserEngine | "auto";

export const PARSER_ENGINES: readonly ParserEngineChoice[] = ["auto", "flat", "native", "wasm"];

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

/** What a parser engine does: parse, and copy the tree into {@link PyNode}s. */
interface TreeSource {
  parseOnly(source: string): void;
  parseAndWalk(source: string): number;
  copy(source: string, nodes: PyNode[]): PyNode;
}

/** The `native` and `wasm` engines: a parse, then the tree read through the runtime's cursor. */
function cursorSource(backend: Backend, tables: GrammarTables): TreeSource {
  const withTree = <T>(source: string, use: (raw: RawTree) => T): T => {
    const raw = backend(source);
    try {
      return use(raw);
    } finally {
      raw.dispose();
    }
  };
  return {
    parseOnly: (source) => backend(source).dispose(),
    parseAndWalk: (source) => withTree(source, (raw) => walkAll(raw.cursor)),
    copy: (source, nodes) => withTree(source, (raw) => copyWithCursor(raw.cursor, tables, source, raw.hasError, nodes)),
  };
}

/** The `flat` engine, or the reason it does not load. */
function flatSource(tables: GrammarTables): TreeSource {
  const flat = loadFlatParser(tables);
  return {
    parseOnly: (source) => flat.parseOnly(source),
    parseAndWalk: (source) => flat.table(source)[1] ?? 0,
    copy: (source, nodes) => flat.parse(source, nodes),
  };
}

/** Python parser on tree-sitter (pyfleet's addon, the native binding or WebAssembly). Create it with {@link PythonParser.create}. */
export class PythonParser {
  private constructor(
    /** The runtime that parses. */
    readonly engine: ParserEngine,
    private readonly source: TreeSource,
  ) {}

  /**
   * Returns the process-wide parser of an engine (default: `PYFLEET_ANALYSIS_PARSER`, else
   * `auto`, see {@link ParserEngineChoice}).
   * @throws PyfleetError `CONFIG_INVALID` for an unknown engine name; the load error when `flat` or `native` was asked for and does not load.
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

  /** Null when pyfleet's addon (the `flat` engine) loads on this machine, else why not. */
  static flatUnavailable(): string | null {
    try {
      loadFlatParser(new GrammarTables());
      return null;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private static async load(engine: ParserEngineChoice): Promise<PythonParser> {
    if (engine === "flat" || engine === "auto") {
      try {
        return new PythonParser("flat", flatSource(new GrammarTables()));
      } catch (err) {
        if (engine === "flat") throw err;
        // not built here: the cursor engines below still parse
      }
    }
    if (engine === "native") return new PythonParser("native", cursorSource(nativeBackend(), new GrammarTables()));
    // auto: the native binding only beats web-tree-sitter without its direct cursor
    if (engine === "auto" && (await initWasm()) === null) {
      try {
        return new PythonParser("native", cursorSource(nativeBackend(), new GrammarTables()));
      } catch {
        // no binding for this platform: the public cursor below still parses
      }
    }
    return new PythonParser("wasm", cursorSource(await wasmBackend(), new GrammarTables()));
  }

  /** Parses `source` and frees the tree without copying it: the floor under any analysis (for the bench). */
  parseOnly(source: string): void {
    this.source.parseOnly(source);
  }

  /**
   * Parses `source` and visits every node once, reading nothing through a cursor (the `flat`
   * engine reads every node in its one call): the floor under any analysis (for the bench).
   * Returns the node count.
   */
  parseAndWalk(source: string): number {
    return this.source.parseAndWalk(source);
  }

  /** Parses `source` and returns a plain-object copy of the tree with its nodes in document order (error-tolerant). */
  parse(source: string): ParsedModule {
    const nodes: PyNode[] = [];
    return { source, root: this.source.copy(source, nodes), nodes };
  }
}
