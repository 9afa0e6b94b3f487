import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The cursor calls the tree copy needs; web-tree-sitter's and the native binding's cursors both have them. */
export interface TreeCursorLike {
  readonly nodeTypeId: number;
  readonly nodeType: string;
  readonly nodeIsNamed: boolean;
  readonly nodeIsMissing: boolean;
  readonly currentFieldId: number;
  readonly currentFieldName: string | null;
  readonly startIndex: number;
  readonly endIndex: number;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
}

/** One entry of tree-sitter's node-types.json (only what is read here). */
interface NodeTypeInfo {
  type: string;
  named: boolean;
  fields?: Record<string, { types: Array<{ type: string; named: boolean }> }>;
  children?: unknown;
  subtypes?: unknown;
}

let nodeTypeInfo: Map<string, NodeTypeInfo> | null = null;

/**
 * The grammar's node-types.json: a named type without a `fields` key is a token, and one whose
 * `fields` is empty never gives its children field names. Types it does not list (ERROR, anonymous
 * tokens) get the conservative answer (may have fields, may have children).
 */
function nodeTypes(): Map<string, NodeTypeInfo> {
  if (!nodeTypeInfo) {
    const list = JSON.parse(readFileSync(require.resolve("tree-sitter-python/src/node-types.json"), "utf8")) as NodeTypeInfo[];
    nodeTypeInfo = new Map(list.filter((t) => t.named).map((t) => [t.type, t]));
  }
  return nodeTypeInfo;
}

/**
 * The same string, internalized by V8 (property keys always are). Names read from the parser
 * are fresh heap strings; the analysis compares node types and field names with literals on
 * every node, and two internalized strings compare by pointer instead of by content.
 */
function intern(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

/**
 * Per-type-id facts about the grammar, learned from the cursor the first time an id is seen (one
 * call each, for the life of the process), so the tree copy can skip calls whose answer is known
 * in advance: every cursor call crosses into WebAssembly or native code. Learning from the cursor
 * rather than from a language object works the same for both parser engines.
 */
export class GrammarTables {
  /** Type name per type id (undefined: not seen yet). */
  readonly types: Array<string | undefined> = [];
  readonly named: boolean[] = [];
  /** False when no child of a node of this type ever has a field name (no `currentFieldId` call needed). */
  readonly childFields: boolean[] = [];
  /** True for tokens (identifier, integer, ...), which never have children (no `gotoFirstChild` call needed). */
  readonly leaf: boolean[] = [];
  /**
   * Anonymous token types (operators) that can carry a field name under a node of this type; any
   * other anonymous child has none (no `currentFieldId` call needed). Null: unknown, ask.
   */
  readonly anonymousFields: Array<ReadonlySet<string> | null> = [];
  /** Field name per field id; 0 is "no field". */
  readonly fields: Array<string | null | undefined> = [null];

  /** Records what the cursor's current node tells about its type id; returns the type name. */
  learnType(cursor: TreeCursorLike, typeId: number): string {
    return this.learnName(typeId, cursor.nodeType, cursor.nodeIsNamed);
  }

  /** Records a type id's name and whether its nodes are named (from a language's symbol table); returns the interned name. */
  learnName(typeId: number, name: string, isNamedSymbol: boolean): string {
    const type = intern(name);
    // ERROR nodes count as unnamed, so `namedChildren` never hands a fragment of broken code to the resolver.
    const isNamed = type !== "ERROR" && isNamedSymbol;
    const entry = isNamed ? nodeTypes().get(type) : undefined;
    this.named[typeId] = isNamed;
    this.childFields[typeId] = !entry?.fields || Object.keys(entry.fields).length > 0;
    this.leaf[typeId] = !!entry && !entry.fields && !entry.children && !entry.subtypes;
    // Field types list anonymous tokens by name; supertypes (which could hide more) have none in this grammar's node-types.json.
    this.anonymousFields[typeId] = entry?.fields
      ? new Set(Object.values(entry.fields).flatMap((f) => f.types.filter((t) => !t.named).map((t) => t.type)))
      : null;
    this.types[typeId] = type;
    return type;
  }

  /** Records the name of the cursor's current field id; returns it. */
  learnField(cursor: TreeCursorLike, fieldId: number): string | null {
    return this.learnFieldName(fieldId, cursor.currentFieldName);
  }

  /** Records the name of a field id (null: none); returns the interned name. */
  learnFieldName(fieldId: number, name: string | null): string | null {
    const interned = name ? intern(name) : null;
    this.fields[fieldId] = interned;
    return interned;
  }
}
