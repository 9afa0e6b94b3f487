import type { PyNode } from "./py-node.js";

/**
 * What the passes do at a node, as bits of one number per node type. Each pass loops over all
 * of a module's nodes; asking a table of type names about every node in every pass cost more
 * than the work at the few nodes that matter (docs/performance.md "Session 11 (passes4)"), so
 * every node's type is looked up once and the passes test bits.
 */
export const KIND = {
  /** Opens a function scope (`def`, `lambda`). */
  function: 1 << 0,
  /** Opens a class scope. */
  class: 1 << 1,
  /** Declares names in the scope it is evaluated in (see `buildScopes`). */
  declares: 1 << 2,
  /** Binds values in the resolver's fixpoint (see `Resolver.solve`). */
  binding: 1 << 3,
  call: 1 << 4,
  attribute: 1 << 5,
  identifier: 1 << 6,
  /** `import` and `from ... import`. */
  import: 1 << 7,
  while: 1 << 8,
  /** Plain and augmented assignments. */
  assignment: 1 << 9,
  /** ERROR nodes and Python 2 statements (see `syntaxFindings`). */
  syntax: 1 << 10,
  /** Nodes that bind names or make them unknowable for the undefined-name rule besides the scopes' declarations. */
  namesOther: 1 << 11,
} as const;

const BY_TYPE: ReadonlyMap<string, number> = new Map([
  ["function_definition", KIND.function | KIND.binding],
  ["lambda", KIND.function],
  ["class_definition", KIND.class | KIND.binding],
  ["assignment", KIND.declares | KIND.binding | KIND.assignment],
  ["augmented_assignment", KIND.declares | KIND.binding | KIND.assignment],
  ["for_statement", KIND.declares | KIND.binding],
  ["for_in_clause", KIND.declares | KIND.binding],
  ["named_expression", KIND.declares | KIND.binding],
  ["as_pattern_target", KIND.declares],
  ["global_statement", KIND.declares],
  ["nonlocal_statement", KIND.declares],
  ["import_statement", KIND.declares | KIND.binding | KIND.import],
  ["import_from_statement", KIND.declares | KIND.binding | KIND.import],
  ["as_pattern", KIND.binding],
  ["return_statement", KIND.binding],
  ["yield", KIND.binding],
  ["call", KIND.binding | KIND.call],
  ["attribute", KIND.attribute],
  ["identifier", KIND.identifier],
  ["while_statement", KIND.while],
  ["ERROR", KIND.syntax],
  ["print_statement", KIND.syntax],
  ["exec_statement", KIND.syntax],
  ["wildcard_import", KIND.namesOther],
  ["case_pattern", KIND.namesOther],
  ["parameters", KIND.namesOther],
  ["lambda_parameters", KIND.namesOther],
]);

/** The {@link KIND} bits of a node (the scopes' loop over every node records them, see `ScopedNodes.kinds`). */
export function nodeKind(node: PyNode): number {
  return BY_TYPE.get(node.type) ?? 0;
}
