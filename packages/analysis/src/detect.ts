import { FAMILIES } from "./catalog.js";
import { onCall, onCallableArgument } from "./detect-calls.js";
import { type Access, Detection, type NestedAnalysis } from "./detection.js";
import { fieldPv, setpointPv } from "./device-names.js";
import { KIND } from "./node-kinds.js";
import type { Resolver } from "./resolver.js";
import { field, fields, type PyNode, text, textIs } from "./py-node.js";
import type { Scope } from "./scopes.js";
import type { SecurityChecks } from "./security.js";

function onAttributeNode(d: Detection, n: PyNode, s: Scope): void {
  if (!(n.field === "function" && n.parent?.type === "call")) onAttribute(d, n, s);
  if (textIs(d.r.src, field(n, "attribute") ?? n, "environ")) onEnviron(d, n, s);
  if (isArgument(n)) onCallableArgument(d, n, s);
}

function onIdentifier(d: Detection, n: PyNode, s: Scope): void {
  if (textIs(d.r.src, n, "environ") && n.field !== "attribute" && n.parent?.type !== "dotted_name" && n.parent?.type !== "aliased_import") onEnviron(d, n, s);
  if (isArgument(n)) onCallableArgument(d, n, s);
}

/** The node kinds detection acts on; every other node is passed over. */
const DETECTED = KIND.call | KIND.attribute | KIND.identifier | KIND.import | KIND.while;

/**
 * Walks the resolved module once and reports control-system reads and writes, feeding the
 * security checks with every resolved call and import on the way (one handler per node kind).
 */
export function detect(r: Resolver, security: SecurityChecks, nested: NestedAnalysis): Access[] {
  const d = new Detection(r, security, nested);
  const { nodes, scopes, kinds } = r.scoped;
  for (let i = 0; i < nodes.length; i++) {
    const kind = kinds[i]!;
    if (!(kind & DETECTED)) continue;
    const n = nodes[i]!;
    if (kind & KIND.identifier) onIdentifier(d, n, scopes[i]!);
    else if (kind & KIND.call) onCall(d, n, scopes[i]!);
    else if (kind & KIND.attribute) onAttributeNode(d, n, scopes[i]!);
    else if (kind & KIND.import) onImport(d, n);
    else d.security.onWhile(n);
  }
  return withoutShadowedNulls(d.out);
}

function onEnviron(d: Detection, n: PyNode, s: Scope): void {
  for (const v of d.r.eval(n, s).values())
    if (v.k === "qual" && v.q === "os.environ") {
      d.security.onEnviron(n, s);
      return;
    }
}

function onImport(d: Detection, n: PyNode): void {
  const from = n.type === "import_from_statement" ? field(n, "module_name") : undefined;
  const base = from ? text(d.r.src, from) : null;
  if (base !== null) d.security.onImport(base, n);
  for (const c of fields(n, "name")) {
    const dotted = text(d.r.src, c.type === "aliased_import" ? field(c, "name")! : c);
    d.security.onImport(base !== null ? `${base}.${dotted}` : dotted, n);
  }
}

/** Attribute reads and stores on control objects (`pv.value`, `motor.VAL = 3`), and stores on dynamic ones. */
function onAttribute(d: Detection, n: PyNode, s: Scope): void {
  const obj = field(n, "object");
  const attrNode = field(n, "attribute");
  if (!obj || !attrNode) return;
  const attr = text(d.r.src, attrNode);
  const isTarget = isAssignTarget(n);
  const augmented = n.parent?.type === "augmented_assignment";
  const receiver = d.r.eval(obj, s);
  if (isTarget && attr === "value" && receiver.size === 0 && d.r.usesControl)
    d.add("write", [], n, "dynamic", `.value = on "${text(d.r.src, obj)}", an object of unknown type in code that uses a control-system client`);
  for (const v of receiver.values()) {
    if (v.k === "dyn" && isTarget) d.add("write", [], n, "dynamic", v.reason);
    if (v.k !== "inst" || attr.startsWith("_")) continue;
    const fam = FAMILIES[v.fam];
    if (!fam) continue;
    const pv = fam.attrPv === "self+attr" || v.fam === "ophyd.EpicsMotor" ? fieldPv(v.fam, v.pv, attr) : v.pv;
    const method = fam.writes.has(attr) || fam.reads.has(attr) || !!fam.children?.[attr];
    if (isTarget && (fam.attrWrites.has(attr) || fam.attrWrites.has("*"))) d.add("write", [v.fam === "ophyd.EpicsSignal" ? setpointPv(v) : pv], n, `${v.fam}.${attr} =`);
    if ((!isTarget || augmented) && !method && (fam.attrReads.has(attr) || fam.attrReads.has("*"))) d.add("read", [pv], n, `${v.fam}.${attr}`);
  }
}

/**
 * Drops unnamed accesses at a node that also has named ones of the same kind: the fixpoint
 * creates an unnamed PV object while a parameter's string values are still arriving, and that
 * early guess would otherwise linger beside the resolved name.
 */
function withoutShadowedNulls(accesses: Access[]): Access[] {
  const named = new Set(accesses.filter((a) => a.pv !== null).map((a) => `${a.kind}|${a.node.id}`));
  return accesses.filter((a) => a.pv !== null || a.dynamic || !named.has(`${a.kind}|${a.node.id}`));
}

/** True when the node is passed to a call (positionally, by keyword, or inside a literal list / tuple there). */
function isArgument(n: PyNode): boolean {
  let cur = n;
  while (cur.parent && (cur.parent.type === "list" || cur.parent.type === "tuple")) cur = cur.parent;
  const p = cur.parent;
  return !!p && (p.type === "argument_list" || (p.type === "keyword_argument" && cur.field === "value"));
}

const TARGET_WRAPPERS = new Set(["pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "parenthesized_expression"]);

/** True when the node is (part of) the left side of an assignment. */
function isAssignTarget(n: PyNode): boolean {
  let cur = n;
  while (cur.parent && TARGET_WRAPPERS.has(cur.parent.type)) cur = cur.parent;
  const p = cur.parent;
  return !!p && (p.type === "assignment" || p.type === "augmented_assignment") && cur.field === "left";
}
