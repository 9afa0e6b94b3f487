import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Language } from "web-tree-sitter";

const require = createRequire(import.meta.url);

/**
 * Per-type-id facts about the grammar, read once, so the tree copy can skip WebAssembly calls
 * whose answer is known in advance (every cursor call marshals the cursor into WebAssembly).
 */
export interface GrammarTables {
  types: string[];
  fields: Array<string | null>;
  named: boolean[];
  /** False when no child of a node of this type ever has a field name (no `currentFieldId` call needed). */
  childFields: boolean[];
  /** True for tokens (identifier, integer, ...), which never have children (no `gotoFirstChild` call needed). */
  leaf: boolean[];
}

/** One entry of tree-sitter's node-types.json (only what is read here). */
interface NodeTypeInfo {
  type: string;
  named: boolean;
  fields?: Record<string, unknown>;
  children?: unknown;
  subtypes?: unknown;
}

/**
 * The grammar's node-types.json: a named type without a `fields` key is a token, and one whose
 * `fields` is empty never gives its children field names. Types it does not list (ERROR, anonymous
 * tokens) get the conservative answer (may have fields, may have children).
 */
function nodeTypes(): Map<string, NodeTypeInfo> {
  const list = JSON.parse(readFileSync(require.resolve("tree-sitter-python/src/node-types.json"), "utf8")) as NodeTypeInfo[];
  return new Map(list.filter((t) => t.named).map((t) => [t.type, t]));
}

/**
 * The same string, internalized by V8 (property keys always are). Names read from WebAssembly
 * are fresh heap strings; the analysis compares node types and field names with literals on
 * every node, and two internalized strings compare by pointer instead of by content.
 */
function intern(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}

const tablesByLanguage = new WeakMap<Language, GrammarTables>();

/** The tables of the Python grammar (computed once per loaded language). */
export function grammarTables(lang: Language): GrammarTables {
  let t = tablesByLanguage.get(lang);
  if (!t) {
    const info = nodeTypes();
    const types: string[] = [];
    const named: boolean[] = [];
    const childFields: boolean[] = [];
    const leaf: boolean[] = [];
    for (let id = 0; id < lang.nodeTypeCount; id++) {
      const type = intern(lang.nodeTypeForId(id) ?? "");
      const isNamed = lang.nodeTypeIsNamed(id);
      const entry = isNamed ? info.get(type) : undefined;
      types.push(type);
      named.push(isNamed);
      childFields.push(!entry?.fields || Object.keys(entry.fields).length > 0);
      leaf.push(!!entry && !entry.fields && !entry.children && !entry.subtypes);
    }
    const fields: Array<string | null> = [null];
    for (let id = 1; id <= lang.fieldCount; id++) {
      const name = lang.fieldNameForId(id);
      fields.push(name === null ? null : intern(name));
    }
    t = { types, fields, named, childFields, leaf };
    tablesByLanguage.set(lang, t);
  }
  return t;
}
