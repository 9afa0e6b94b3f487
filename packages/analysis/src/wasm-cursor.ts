import { Parser } from "web-tree-sitter";
import type { TreeCursorLike } from "./grammar-tables.js";

/**
 * The exports of web-tree-sitter's WebAssembly module that {@link WasmDirectCursor} calls. Emscripten
 * puts them on the options object given to `Parser.init`, which is how the parser gets them.
 * Each `_wasm` cursor function reads the cursor from the module's transfer buffer and, for a move,
 * writes it back there, so consecutive calls need nothing from JS between them.
 */
export interface WasmModule {
  getValue(address: number, type: "i32"): number;
  setValue(address: number, value: number, type: "i32"): void;
  _ts_init(): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_named_wasm(tree: number): number;
  _ts_tree_cursor_current_node_is_missing_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
}

const REQUIRED: ReadonlyArray<keyof WasmModule> = [
  "getValue",
  "setValue",
  "_ts_init",
  "_ts_tree_cursor_goto_first_child_wasm",
  "_ts_tree_cursor_goto_next_sibling_wasm",
  "_ts_tree_cursor_goto_parent_wasm",
  "_ts_tree_cursor_current_node_type_id_wasm",
  "_ts_tree_cursor_current_node_is_named_wasm",
  "_ts_tree_cursor_current_node_is_missing_wasm",
  "_ts_tree_cursor_current_field_id_wasm",
  "_ts_tree_cursor_start_index_wasm",
  "_ts_tree_cursor_end_index_wasm",
];

let initialised: Promise<WasmModule | null> | null = null;

/**
 * Initialises web-tree-sitter (once per process) and returns its module's exports, or null when
 * they are not available: web-tree-sitter keeps the module of its first `Parser.init`, so when
 * something else in the process initialised it first, only the public (slower) cursor is left.
 */
export function initWasm(): Promise<WasmModule | null> {
  initialised ??= (async () => {
    // Emscripten adds the module's exports to the options object it is given.
    const exports: Record<string, unknown> = {};
    await Parser.init(exports);
    return REQUIRED.every((k) => typeof exports[k] === "function") ? (exports as unknown as WasmModule) : null;
  })();
  initialised.catch(() => {
    initialised = null;
  });
  return initialised;
}

/** web-tree-sitter's cursor as far as its handle is concerned: four words of cursor state (internal fields). */
export interface CursorHandle {
  0: number;
  1: number;
  2: number;
  3: number;
}

/**
 * A tree cursor that calls web-tree-sitter's WebAssembly functions directly. web-tree-sitter's own
 * `TreeCursor` copies its four words of state into the transfer buffer and back around every call
 * (eight generic `setValue` / `getValue` calls); here the state stays in the buffer for the whole
 * walk, so a call is one call into WebAssembly. Nothing else may use the module between
 * {@link WasmDirectCursor.open} and {@link WasmDirectCursor.close}; the tree copy is synchronous.
 */
export class WasmDirectCursor implements TreeCursorLike {
  private readonly buffer: number;

  constructor(
    private readonly m: WasmModule,
    /** The tree's address in WebAssembly memory. */
    private readonly tree: number,
    private readonly handle: CursorHandle,
    /** Type and field names by id (web-tree-sitter's `Language.types` / `fields`). */
    private readonly names: { readonly types: ReadonlyArray<string | undefined>; readonly fields: ReadonlyArray<string | null | undefined> },
  ) {
    this.buffer = m._ts_init();
  }

  /** Puts the handle's state in the transfer buffer, where the calls below read and move it. */
  open(): this {
    for (let i = 0; i < 4; i++) this.m.setValue(this.buffer + 4 * i, this.handle[i as 0 | 1 | 2 | 3], "i32");
    return this;
  }

  /** Takes the moved state back into the handle, so web-tree-sitter frees the cursor's current stack. */
  close(): void {
    for (let i = 0; i < 4; i++) this.handle[i as 0 | 1 | 2 | 3] = this.m.getValue(this.buffer + 4 * i, "i32");
  }

  get nodeTypeId(): number {
    return this.m._ts_tree_cursor_current_node_type_id_wasm(this.tree);
  }

  get nodeType(): string {
    return this.names.types[this.nodeTypeId] || "ERROR";
  }

  get nodeIsNamed(): boolean {
    return this.m._ts_tree_cursor_current_node_is_named_wasm(this.tree) === 1;
  }

  get nodeIsMissing(): boolean {
    return this.m._ts_tree_cursor_current_node_is_missing_wasm(this.tree) === 1;
  }

  get currentFieldId(): number {
    return this.m._ts_tree_cursor_current_field_id_wasm(this.tree);
  }

  get currentFieldName(): string | null {
    return this.names.fields[this.currentFieldId] ?? null;
  }

  get startIndex(): number {
    return this.m._ts_tree_cursor_start_index_wasm(this.tree);
  }

  get endIndex(): number {
    return this.m._ts_tree_cursor_end_index_wasm(this.tree);
  }

  gotoFirstChild(): boolean {
    return this.m._ts_tree_cursor_goto_first_child_wasm(this.tree) === 1;
  }

  gotoNextSibling(): boolean {
    return this.m._ts_tree_cursor_goto_next_sibling_wasm(this.tree) === 1;
  }

  gotoParent(): boolean {
    return this.m._ts_tree_cursor_goto_parent_wasm(this.tree) === 1;
  }
}
