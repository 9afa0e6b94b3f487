import { KIND } from "./node-kinds.js";
import { type PyNode, field, namedChildren, text, textIs } from "./py-node.js";
import type { Resolver } from "./resolver.js";

/** What the code does with the module-level `results` variable. */
export interface ResultsInfo {
  /** `dict`: built from a dict literal, `dict(...)` or a comprehension; `other`: assigned from something else. */
  built: "dict" | "other" | "none";
  /** Line of the first module-level assignment (1-based), or null. */
  line: number | null;
  /** String keys the code sets. */
  keys: Set<string>;
  /** True when some key is computed, so missing keys cannot be known for sure. */
  dynamicKeys: boolean;
}

const DICT_BUILDERS = new Set(["dictionary", "dictionary_comprehension"]);

const DEFINITIONS = new Set(["function_definition", "class_definition", "lambda"]);

/**
 * Assignments that run in the module scope (also inside if / try / with / for at top level), in
 * document order, taken from the scoped node list instead of a walk of the tree: assignments
 * evaluated in the module scope that are not inside a definition at all (broken code may put
 * one in a definition's other parts, which the scopes count as the enclosing scope).
 */
function moduleLevelAssignments(r: Resolver): PyNode[] {
  const module = r.scopes.get(r.root.id);
  const { nodes, scopes, kinds } = r.scoped;
  const out: PyNode[] = [];
  for (let i = 0; i < nodes.length; i++) {
    if (!(kinds[i]! & KIND.assignment) || scopes[i] !== module) continue;
    const n = nodes[i]!;
    if (n.type !== "assignment") continue;
    let p = n.parent;
    while (p && !DEFINITIONS.has(p.type)) p = p.parent;
    if (!p) out.push(n);
  }
  return out;
}

/** Finds `results = {...}` at module level and every key set into it anywhere in the code. */
export function analyzeResults(r: Resolver): ResultsInfo {
  const src = r.src;
  const info: ResultsInfo = { built: "none", line: null, keys: new Set(), dynamicKeys: false };
  const isResults = (n: PyNode | undefined) => n?.type === "identifier" && textIs(src, n, "results");
  const addKey = (k: PyNode | undefined) => {
    const s = k ? r.literal(k) : null;
    if (s === null) info.dynamicKeys = true;
    else info.keys.add(s);
  };
  const addDict = (d: PyNode) => {
    if (d.type === "dictionary") for (const pair of namedChildren(d)) if (pair.type === "pair") addKey(field(pair, "key"));
    if (d.type === "dictionary_comprehension") info.dynamicKeys = true;
    if (d.type === "call") for (const kw of namedChildren(field(d, "arguments") ?? d)) if (kw.type === "keyword_argument") info.keys.add(text(src, field(kw, "name")!));
  };
  for (const a of moduleLevelAssignments(r)) {
    if (!isResults(field(a, "left"))) continue;
    const right = field(a, "right");
    if (!right) continue;
    const isDict = DICT_BUILDERS.has(right.type) || (right.type === "call" && text(src, field(right, "function") ?? right) === "dict");
    if (info.built !== "dict") info.built = isDict ? "dict" : "other";
    info.line ??= a.row + 1;
    if (isDict) addDict(right);
  }
  const { nodes, kinds } = r.scoped;
  for (let i = 0; i < nodes.length; i++) {
    const kind = kinds[i]!;
    if (!(kind & (KIND.assignment | KIND.call))) continue;
    const n = nodes[i]!;
    if (kind & KIND.assignment) {
      const left = field(n, "left");
      const right = field(n, "right");
      if (left?.type === "subscript" && isResults(field(left, "value"))) addKey(field(left, "subscript"));
      if (n.type === "augmented_assignment" && isResults(left) && right) addDict(right);
    }
    if (kind & KIND.call) {
      const fn = field(n, "function");
      if (fn?.type !== "attribute" || !isResults(field(fn, "object"))) continue;
      const method = text(src, field(fn, "attribute") ?? fn);
      const args = namedChildren(field(n, "arguments") ?? n);
      if (method === "update") {
        for (const a of args) {
          if (a.type === "keyword_argument") info.keys.add(text(src, field(a, "name")!));
          else if (a.type === "dictionary") addDict(a);
          else info.dynamicKeys = true;
        }
      }
      if (method === "setdefault" || method === "__setitem__") addKey(args[0]);
    }
  }
  return info;
}
