import { type AccessKind, type AccessSpec, FAMILIES, FUNCTIONS, HELPERS, UNMISTAKABLE_METHODS } from "./catalog.js";
import { type PyNode, field, fields, text } from "./py-node.js";
import type { Resolver } from "./resolver.js";
import type { Scope } from "./scopes.js";
import { walkScoped } from "./scopes.js";
import type { SecurityChecks } from "./security.js";

/** One control-system access found in the code. */
export interface Access {
  kind: AccessKind;
  pv: string | null;
  node: PyNode;
  api: string;
  /** Assumed because it could not be resolved statically (fail safe). */
  dynamic: boolean;
  /** Why a dynamic access was assumed. */
  reason?: string;
}

/** Called for literal strings passed to exec/eval/compile, to analyse them as code too. */
export type NestedAnalysis = (code: string, at: PyNode) => Access[];

const EXEC_LIKE = new Set(["builtins.exec", "builtins.eval", "builtins.compile"]);
/** Method names that write on PV-like objects of every supported library. */
const WRITE_LIKE = new Set(["put", "set", "write", "move"]);
const RUNNERS = new Set(["runpy.run_path", "runpy.run_module"]);
const PATHLIB = new Set(["pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"]);

/**
 * Walks the resolved module once and reports control-system reads and writes, feeding the
 * security checks with every resolved call and import on the way.
 */
export function detect(r: Resolver, security: SecurityChecks, nested: NestedAnalysis): Access[] {
  const out: Access[] = [];
  const add = (kind: AccessKind, pvs: Array<string | null>, node: PyNode, api: string, reason?: string) => {
    for (const pv of pvs.length > 0 ? pvs : [null]) out.push({ kind, pv, node, api, dynamic: reason !== undefined, ...(reason ? { reason } : {}) });
  };
  const pvFor = (spec: AccessSpec | { pv: "self" | "self+arg0" | "arg0" | "none" }, call: PyNode, s: Scope, own: string | null, sep: string): Array<string | null> => {
    if (spec.pv === "none") return [];
    if (spec.pv === "self") return [own];
    const args = r.pvNames(call, s);
    if (spec.pv === "self+arg0" && own !== null) return args.length > 0 ? args.map((a) => `${own}${sep}${a}`) : [own];
    return args;
  };

  walkScoped(r.scoped, (n, s) => {
    switch (n.type) {
      case "call":
        onCall(n, s);
        return;
      case "attribute":
        if (!(n.field === "function" && n.parent?.type === "call")) onAttribute(n, s);
        if (text(r.src, field(n, "attribute") ?? n) === "environ") onEnviron(n, s);
        if (isArgument(n)) onCallableArgument(n, s);
        return;
      case "identifier":
        if (text(r.src, n) === "environ" && n.field !== "attribute" && n.parent?.type !== "dotted_name" && n.parent?.type !== "aliased_import") onEnviron(n, s);
        if (isArgument(n)) onCallableArgument(n, s);
        return;
      case "import_statement":
      case "import_from_statement":
        onImport(n);
        return;
      case "while_statement":
        security.onWhile(n);
        return;
      default:
        return;
    }
  });
  return withoutShadowedNulls(out);

  function onEnviron(n: PyNode, s: Scope): void {
    for (const v of r.eval(n, s).values())
      if (v.k === "qual" && v.q === "os.environ") {
        security.onEnviron(n, s);
        return;
      }
  }

  function onImport(n: PyNode): void {
    const from = n.type === "import_from_statement" ? field(n, "module_name") : undefined;
    const base = from ? text(r.src, from) : null;
    if (base !== null) security.onImport(base, n);
    for (const c of fields(n, "name")) {
      const dotted = text(r.src, c.type === "aliased_import" ? field(c, "name")! : c);
      security.onImport(base !== null ? `${base}.${dotted}` : dotted, n);
    }
  }

  function onCall(call: PyNode, s: Scope): void {
    const fn = field(call, "function");
    if (!fn) return;
    security.onAnyCall(call);
    const callee = r.eval(fn, s);
    const method = fn.type === "attribute" ? text(r.src, field(fn, "attribute") ?? fn) : null;
    let typed = false;
    for (const v of callee.values()) {
      if (v.k === "qual") {
        security.onCall(v.q, call, s);
        const spec = FUNCTIONS[v.q] ?? HELPERS[v.q.slice(v.q.lastIndexOf(".") + 1)];
        if (spec) add(spec.kind, pvFor(spec, call, s, null, ""), call, v.q.replace(/^builtins\./, ""));
        if (v.q === "builtins.setattr") onSetattr(call, s);
        if (EXEC_LIKE.has(v.q)) onExec(call, s, v.q.slice(9));
        if (RUNNERS.has(v.q)) add("write", [], call, "dynamic", `${v.q}() runs Python code the analyzer cannot see`);
        typed = true;
      } else if (v.k === "meth") {
        typed = true;
        const fam = FAMILIES[v.fam];
        if (!fam) continue;
        const setter = v.name === "__setattr__" && fam.attrWrites.size > 0;
        const kind: AccessKind | undefined =
          fam.writes.has(v.name) || setter
            ? "write"
            : fam.reads.has(v.name) || fam.readPrefixes?.some((p) => v.name.startsWith(p))
              ? "read"
              : fam.factories?.[v.name] || v.name.startsWith("_")
                ? undefined
                : fam.otherMethods;
        const sep = v.fam === "tango.DeviceProxy" ? "/" : "";
        const source = v.pv === null ? "arg0" : v.fam === "tango.DeviceProxy" || v.fam === "epics.Device" ? "self+arg0" : "self";
        const command = v.fam === "tango.DeviceProxy" && v.pv !== null && /^[A-Z]/.test(v.name);
        if (kind) add(kind, command ? [`${v.pv}/${v.name}`] : pvFor({ pv: source }, call, s, v.pv, sep), call, `${v.fam}.${v.name}`);
      } else if (v.k === "dyn") {
        typed = true;
        add("write", [], call, "dynamic", v.reason);
      } else if (v.k !== "obj") typed = true;
    }
    if (!typed && method && UNMISTAKABLE_METHODS[method]) {
      const spec = UNMISTAKABLE_METHODS[method]!;
      add(spec.kind, pvFor(spec, call, s, null, ""), call, `.${method}`);
    }
    if (!typed && method && !UNMISTAKABLE_METHODS[method] && WRITE_LIKE.has(method) && r.usesControl) onUntypedWrite(fn, method, call, s);
    if (method && fn.type === "attribute") onPathCall(method, fn, call, s);
  }

  /**
   * A write function or method handed to other code as a value (`map(caput, ...)`,
   * `Thread(target=pv.put)`, `partial(caput, name)`): whoever receives it may call it.
   */
  function onCallableArgument(n: PyNode, s: Scope): void {
    for (const v of r.eval(n, s).values()) {
      const spec = v.k === "qual" ? (FUNCTIONS[v.q] ?? HELPERS[v.q.slice(v.q.lastIndexOf(".") + 1)]) : undefined;
      if (spec?.kind === "write" && v.k === "qual") add("write", [], n, `${v.q} passed as a callable`);
      if (v.k === "meth" && FAMILIES[v.fam]?.writes.has(v.name)) add("write", [v.pv], n, `${v.fam}.${v.name} passed as a callable`);
    }
  }

  /**
   * `x.put(...)` / `x.set(...)` on an object the resolver knows nothing about (no value at all,
   * e.g. a parameter nobody passes anything to), in code that uses a control-system client: it
   * may be a PV, so it counts as a possible write. Objects known to be plain (literals, results
   * of non-control libraries, dicts, queues) never get here.
   */
  function onUntypedWrite(fn: PyNode, method: string, call: PyNode, s: Scope): void {
    const obj = field(fn, "object");
    if (!obj || r.eval(obj, s).size > 0) return;
    add("write", [], call, "dynamic", `.${method}() on "${text(r.src, obj)}", an object of unknown type in code that uses a control-system client`);
  }

  function onPathCall(method: string, fn: PyNode, call: PyNode, s: Scope): void {
    const obj = field(fn, "object");
    if (obj?.type !== "call") return;
    const ctor = field(obj, "function");
    if (!ctor) return;
    for (const v of r.eval(ctor, s).values())
      if (v.k === "qual" && PATHLIB.has(v.q)) security.onPathMethod(method, r.args(obj).positional[0], call, s);
  }

  function onSetattr(call: PyNode, s: Scope): void {
    const [target, name] = r.args(call).positional;
    if (!target) return;
    for (const v of r.eval(target, s).values()) {
      if (v.k === "dyn") add("write", [], call, "dynamic", v.reason);
      if (v.k !== "inst") continue;
      const fam = FAMILIES[v.fam];
      if (fam && fam.attrWrites.size > 0) add("write", [v.pv ?? r.strings(name, s)[0] ?? null], call, `${v.fam} setattr`);
    }
  }

  function onExec(call: PyNode, s: Scope, name: string): void {
    const arg = r.args(call).positional[0];
    const literal = arg ? r.literal(arg) : null;
    if (literal !== null) {
      out.push(...nested(literal, call));
      return;
    }
    const values = arg ? r.strings(arg, s) : [];
    if (values.length > 0) {
      for (const code of values) out.push(...nested(code, call));
      return;
    }
    add("write", [], call, "dynamic", `${name}() of a computed string could write to the control system`);
  }

  function onAttribute(n: PyNode, s: Scope): void {
    const obj = field(n, "object");
    const attrNode = field(n, "attribute");
    if (!obj || !attrNode) return;
    const attr = text(r.src, attrNode);
    const isTarget = isAssignTarget(n);
    const augmented = n.parent?.type === "augmented_assignment";
    const receiver = r.eval(obj, s);
    if (isTarget && attr === "value" && receiver.size === 0 && r.usesControl)
      add("write", [], n, "dynamic", `.value = on "${text(r.src, obj)}", an object of unknown type in code that uses a control-system client`);
    for (const v of receiver.values()) {
      if (v.k === "dyn" && isTarget) add("write", [], n, "dynamic", v.reason);
      if (v.k !== "inst" || attr.startsWith("_")) continue;
      const fam = FAMILIES[v.fam];
      if (!fam) continue;
      const pv = fam.attrPv === "self+attr" && v.pv !== null ? `${v.pv}${v.fam === "tango.DeviceProxy" ? "/" : ""}${attr}` : v.pv;
      const method = fam.writes.has(attr) || fam.reads.has(attr);
      if (isTarget && (fam.attrWrites.has(attr) || fam.attrWrites.has("*"))) add("write", [pv], n, `${v.fam}.${attr} =`);
      if ((!isTarget || augmented) && !method && (fam.attrReads.has(attr) || fam.attrReads.has("*"))) add("read", [pv], n, `${v.fam}.${attr}`);
    }
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

/** True when the node is (part of) the left side of an assignment. */
function isAssignTarget(n: PyNode): boolean {
  let cur = n;
  while (cur.parent && ["pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "parenthesized_expression"].includes(cur.parent.type)) cur = cur.parent;
  const p = cur.parent;
  return !!p && (p.type === "assignment" || p.type === "augmented_assignment") && cur.field === "left";
}

