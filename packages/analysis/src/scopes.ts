import { KIND, nodeKind } from "./node-kinds.js";
import { type PyNode, field, fields, namedChildren, text } from "./py-node.js";
import type { ValueSet } from "./values.js";

/** One Python scope (module, function / lambda, class body) with its bound names. */
export interface Scope {
  node: PyNode;
  kind: "module" | "function" | "class";
  parent: Scope | null;
  /** Names bound anywhere in this scope (Python's rule: bound anywhere → local). */
  declared: Set<string>;
  /** Names declared `global` here (bound in the module scope). */
  globals: Set<string>;
  /** Names declared `nonlocal` here (bound in an enclosing function). */
  nonlocals: Set<string>;
  vars: Map<string, ValueSet>;
  /** Modules star-imported here (`from epics import *`). */
  stars: string[];
  /**
   * The scope each name used here binds in (null: none), memoised by the resolver's lookups:
   * declarations are final once {@link buildScopes} returns, and the fixpoint asks the same names again every round.
   */
  owners: Map<string, Scope | null>;
}

/** A parameter of a function, in declaration order. */
export interface Param {
  name: string;
  kind: "pos" | "star" | "dstar";
  node: PyNode;
  defaultValue: PyNode | undefined;
}

/** Names a binding target introduces (`a`, `a, (b, *c)`; attributes and subscripts bind none). */
export function targetNames(src: string, node: PyNode): string[] {
  switch (node.type) {
    case "identifier":
      return [text(src, node)];
    case "pattern_list":
    case "tuple_pattern":
    case "list_pattern":
    case "tuple":
    case "list":
    case "parenthesized_expression":
    case "list_splat_pattern":
    case "list_splat":
    case "as_pattern_target":
      return namedChildren(node).flatMap((c) => targetNames(src, c));
    default:
      return [];
  }
}

/** Parameters of a `function_definition` or `lambda`. */
export function paramsOf(src: string, fn: PyNode): Param[] {
  const list = field(fn, "parameters");
  if (!list) return [];
  const out: Param[] = [];
  for (const p of namedChildren(list)) {
    const nameNode = p.type === "identifier" ? p : (field(p, "name") ?? namedChildren(p).find((c) => c.type === "identifier"));
    if (!nameNode) continue;
    const kind = p.type === "list_splat_pattern" ? "star" : p.type === "dictionary_splat_pattern" ? "dstar" : "pos";
    out.push({ name: text(src, nameNode), kind, node: p, defaultValue: field(p, "value") });
  }
  return out;
}

function newScope(node: PyNode, kind: Scope["kind"], parent: Scope | null): Scope {
  return { node, kind, parent, declared: new Set(), globals: new Set(), nonlocals: new Set(), vars: new Map(), stars: [], owners: new Map() };
}

/** True when `child` of a scope-creating node is evaluated inside the new scope. */
function inInnerScope(owner: PyNode, child: PyNode): boolean {
  if (owner.type === "class_definition") return child.field === "body";
  return child.field === "body" || child.field === "parameters";
}

/** Every node of a module in document order, with the scope it is evaluated in and its {@link KIND} bits (parallel arrays). */
export interface ScopedNodes {
  nodes: PyNode[];
  scopes: Scope[];
  kinds: Uint16Array;
}

/**
 * Builds every scope of the module and records which names each one binds. Also records the
 * scope of every node in document order, so later passes walk a flat list instead of recomputing scopes.
 * `nodes` is the module's nodes in document order with `nodes[i].id === i` (see `ParsedModule`): a
 * node's parent comes before it, so its scope follows from the parent's without a tree walk.
 */
export function buildScopes(src: string, root: PyNode, nodes: PyNode[]): { scopes: Map<number, Scope>; scoped: ScopedNodes } {
  const module = newScope(root, "module", null);
  const scopes = new Map<number, Scope>([[root.id, module]]);
  // The scope each node is evaluated in, and the scope each scope-opening node opens, by node id.
  const evaluatedIn: Scope[] = new Array(nodes.length);
  const opens: Array<Scope | undefined> = new Array(nodes.length);
  const kinds = new Uint16Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const p = n.parent;
    const inner = p === null ? undefined : opens[p.id];
    const s = p === null ? module : inner && inInnerScope(p, n) ? inner : evaluatedIn[p.id]!;
    evaluatedIn[i] = s;
    const kind = nodeKind(n);
    kinds[i] = kind;
    if (kind & (KIND.function | KIND.class)) {
      const own = newScope(n, kind & KIND.function ? "function" : "class", s);
      opens[i] = own;
      scopes.set(n.id, own);
      const name = field(n, "name");
      if (name) s.declared.add(text(src, name));
      if (kind & KIND.function) for (const param of paramsOf(src, n)) own.declared.add(param.name);
    }
    if (kind & KIND.declares) declare(src, n, s);
  }
  for (const s of scopes.values()) for (const g of [...s.globals, ...s.nonlocals]) s.declared.delete(g);
  return { scopes, scoped: { nodes, scopes: evaluatedIn, kinds } };
}

function declare(src: string, n: PyNode, s: Scope): void {
  switch (n.type) {
    case "assignment":
    case "augmented_assignment":
    case "for_statement":
    case "for_in_clause": {
      const left = field(n, "left");
      // most targets are one name: no list of names for them
      if (left?.type === "identifier") s.declared.add(text(src, left));
      else if (left) for (const name of targetNames(src, left)) s.declared.add(name);
      break;
    }
    case "as_pattern_target":
      for (const name of targetNames(src, n)) s.declared.add(name);
      break;
    case "named_expression": {
      const name = field(n, "name");
      if (name) s.declared.add(text(src, name));
      break;
    }
    case "import_statement":
    case "import_from_statement":
      for (const c of fields(n, "name")) s.declared.add(importedName(src, c, n.type === "import_statement"));
      break;
    case "global_statement":
      for (const c of namedChildren(n)) s.globals.add(text(src, c));
      break;
    case "nonlocal_statement":
      for (const c of namedChildren(n)) s.nonlocals.add(text(src, c));
      break;
  }
}

/** The local name an import binds: the alias, else the first (`import a.b`) or last segment. */
export function importedName(src: string, nameNode: PyNode, topLevel: boolean): string {
  if (nameNode.type === "aliased_import") return text(src, field(nameNode, "alias")!);
  const parts = text(src, nameNode).split(".");
  return (topLevel ? parts[0] : parts[parts.length - 1]) ?? "";
}
